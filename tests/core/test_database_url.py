"""DATABASE_URL is read as in every Django project (#25 item 11)."""

import pytest

from leadflow.settings import database_from_url


def test_a_sqlite_url_gets_the_embedded_backend_and_its_pragmas():
    config = database_from_url("sqlite:////srv/leadflow/crm.sqlite3")
    assert (config["ENGINE"], config["NAME"]) == (
        "leadflow.core.sqlite",
        "/srv/leadflow/crm.sqlite3",
    )
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_a_postgres_url_keeps_its_options():
    config = database_from_url("postgres://crm:s%40cret@db.internal:5433/leads?sslmode=require")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"]) == (
        "crm",
        "s@cret",
        "db.internal",
        5433,
    )
    assert (config["NAME"], config["OPTIONS"]) == ("leads", {"sslmode": "require"})
    assert config["CONN_HEALTH_CHECKS"] is True


def test_a_database_leadflow_does_not_run_on_is_refused_by_name():
    with pytest.raises(ValueError, match="PostgreSQL or SQLite"):
        database_from_url("mysql://root@127.0.0.1/crm")
