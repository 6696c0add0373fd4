"""The DAGs find the Postgres warehouse in CCHC_POSTGRES_DSN or the Airflow connection
`cchc_postgres`, so a deployment can keep it among Airflow's connections."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "dags"))
import cchc_common  # noqa: E402  (a DAG-folder module, as the DAG processor imports it)


def test_postgres_warehouse_from_the_airflow_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CCHC_POSTGRES_DSN", raising=False)
    monkeypatch.setenv("CCHC_DBT_TARGET", "duckdb")
    monkeypatch.setenv("AIRFLOW_CONN_CCHC_POSTGRES", "postgres://cchc:s3cret-pw@db.example:5433/cchc")
    settings = cchc_common.warehouse_settings()
    assert settings.postgres_dsn == "postgresql://cchc:s3cret-pw@db.example:5433/cchc"
    assert settings.publishes_to_postgres

    monkeypatch.setenv("CCHC_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/cchc")
    assert cchc_common.warehouse_settings().postgres_dsn == "postgresql://postgres@127.0.0.1:5432/cchc"


def test_no_postgres_configured_publishes_only_the_serving_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CCHC_POSTGRES_DSN", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_CCHC_POSTGRES", raising=False)
    monkeypatch.setenv("CCHC_DBT_TARGET", "duckdb")
    settings = cchc_common.warehouse_settings()
    assert settings.postgres_dsn is None and not settings.publishes_to_postgres
