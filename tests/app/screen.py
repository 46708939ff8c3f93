"""Reading what an AppTest page shows, the same way in every page test."""

from __future__ import annotations


def run(app):
    """Rerun the page and insist it did not fail."""
    app.at.run()
    assert not app.at.exception, app.at.exception
    return app.at


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def successes(at) -> list[str]:
    return [s.value for s in at.success]


def texts(at) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.caption])
