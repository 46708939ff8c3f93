"""Configuration: defaults, and one clear sentence for every bad setting."""

from __future__ import annotations

from datetime import time

import pytest

from core.config import ConfigError, load_settings


def test_defaults_put_an_sqlite_store_in_the_data_folder(tmp_path):
    settings = load_settings({"KOPRA_DATA_DIR": str(tmp_path)})
    assert settings.backend == "sqlite"
    assert settings.database_url == f"sqlite:///{tmp_path / 'kopra.sqlite3'}"
    assert (settings.port, settings.scheduler_interval_s, settings.session_idle_minutes) == (8501, 30, 30)
    assert (settings.session_lifetime_hours, settings.password_max_age_days) == (12, 90)


def test_a_plain_postgresql_url_uses_psycopg_3(tmp_path):
    settings = load_settings(
        {"KOPRA_DATA_DIR": str(tmp_path), "KOPRA_DATABASE_URL": "postgresql://kopra:s3cret@db:5432/kopra"}
    )
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert "s3cret" not in settings.safe_database_url()


@pytest.mark.parametrize(
    "url, words",
    [
        ("not a url", "is not a valid database URL"),
        ("mysql://root@localhost/kopra", "only SQLite and PostgreSQL"),
        ("sqlite://", "must name an SQLite file"),
        ("postgresql://postgres@localhost", "must name a PostgreSQL database"),
    ],
)
def test_a_bad_database_url_is_refused_in_one_sentence(tmp_path, url, words):
    with pytest.raises(ConfigError, match=words) as caught:
        load_settings({"KOPRA_DATA_DIR": str(tmp_path), "KOPRA_DATABASE_URL": url})
    assert "\n" not in str(caught.value) and str(caught.value).endswith(".")


def test_a_data_folder_that_cannot_be_written_is_refused(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="is not a writable folder"):
        load_settings({"KOPRA_DATA_DIR": str(blocker / "data")})


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("KOPRA_PORT", "eighty", "must be a whole number"),
        ("KOPRA_PORT", "70000", "must be between 1 and 65535"),
        ("KOPRA_SCHEDULER_INTERVAL_S", "0", "must be between 1 and 3600"),
    ],
)
def test_a_bad_number_names_the_setting(tmp_path, name, value, words):
    with pytest.raises(ConfigError, match=f"{name} {words}"):
        load_settings({"KOPRA_DATA_DIR": str(tmp_path), name: value})


def test_the_nightly_analytics_rebuild_is_a_time_of_day_or_off(tmp_path):
    def rebuild_at(value: str | None):
        env = {"KOPRA_DATA_DIR": str(tmp_path)} | ({"KOPRA_ANALYTICS_REBUILD_AT": value} if value is not None else {})
        return load_settings(env).analytics_rebuild_at

    assert rebuild_at(None) == time(2, 0)
    assert rebuild_at("23:45") == time(23, 45)
    assert rebuild_at(" OFF ") is None
    for wrong in ("24:00", "2am", "02:5", "02:60", "-1:00"):
        with pytest.raises(ConfigError, match="KOPRA_ANALYTICS_REBUILD_AT must be a time of day written HH:MM"):
            rebuild_at(wrong)


def test_the_ui_listens_on_this_machine_only_unless_told_otherwise(tmp_path):
    assert load_settings({"KOPRA_DATA_DIR": str(tmp_path)}).bind == "127.0.0.1"
    assert load_settings({"KOPRA_DATA_DIR": str(tmp_path), "KOPRA_BIND": "0.0.0.0"}).bind == "0.0.0.0"
    with pytest.raises(ConfigError, match="KOPRA_BIND must be an address or host name"):
        load_settings({"KOPRA_DATA_DIR": str(tmp_path), "KOPRA_BIND": "0.0.0.0; rm -rf /"})


PRODUCTION = {"KOPRA_ENV": "production", "KOPRA_PUBLIC_URL": "https://kopra.bank.example"}


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"KOPRA_DATABASE_URL": ""}, "KOPRA_ENV=production needs PostgreSQL in KOPRA_DATABASE_URL"),
        ({"KOPRA_PUBLIC_URL": ""}, "KOPRA_ENV=production needs KOPRA_PUBLIC_URL with https://"),
        (
            {"KOPRA_PUBLIC_URL": "http://kopra.bank.example"},
            "KOPRA_ENV=production needs KOPRA_PUBLIC_URL with https://",
        ),
        ({"KOPRA_ENV": "staging"}, "KOPRA_ENV must be development or production"),
    ],
)
def test_production_refuses_sqlite_and_plain_http_in_one_sentence(tmp_path, overrides, words):
    env = {"KOPRA_DATA_DIR": str(tmp_path), "KOPRA_DATABASE_URL": "postgresql://kopra@db:5432/kopra", **PRODUCTION}
    with pytest.raises(ConfigError, match=words) as caught:
        load_settings({**env, **overrides})
    assert "\n" not in str(caught.value) and str(caught.value).endswith(".")


def test_production_on_postgresql_behind_https_is_accepted(tmp_path):
    settings = load_settings(
        {"KOPRA_DATA_DIR": str(tmp_path), "KOPRA_DATABASE_URL": "postgresql://kopra@db:5432/kopra", **PRODUCTION}
    )
    assert settings.production and settings.public_url == "https://kopra.bank.example"
