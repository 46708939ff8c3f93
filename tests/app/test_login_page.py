"""The login screen as Streamlit renders it."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.config import PROJECT_ROOT

MAIN = str(PROJECT_ROOT / "app" / "main.py")


def test_the_login_screen_asks_for_company_id_user_id_and_password():
    at = AppTest.from_file(MAIN, default_timeout=30).run()
    assert not at.exception
    labels = [field.label for field in at.text_input]
    assert labels == ["Company ID", "User ID", "Password"]
    assert at.text_input[2].proto.type == at.text_input[2].proto.PASSWORD
    assert any("14000" in caption.value for caption in at.caption)
