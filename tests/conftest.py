"""Shared fixtures. Services: PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth).

Outside CI a missing server skips its tests with the reason; under CI=true it fails them.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLES = REPO_ROOT / "data" / "samples"
SAMPLE_REPORT = SAMPLES / "reports" / "khanh-hoa" / "2020" / "khanh_hoa_2020_cchc_report.txt"

# Airflow reads its configuration at import: point it at a throw-away home first.
os.environ.setdefault("AIRFLOW_HOME", str(REPO_ROOT / ".airflow"))
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO_ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

PG_ADMIN_DSN = os.environ.get("CCHC_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_service(name: str, error: Exception) -> None:
    message = f"{name} is not reachable ({error}); start it or set CCHC_TEST_PG_DSN"
    if _in_ci():
        pytest.fail(f"CI=true: {message}. Service tests must run in CI, not skip.")
    pytest.skip(message)


@pytest.fixture(scope="session")
def tesseract_vie() -> None:
    """Tesseract with its Vietnamese model, as `require_service` treats a server."""
    import shutil
    import subprocess

    langs = (
        subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True)
        if shutil.which("tesseract")
        else None
    )
    if langs is None or "vie" not in langs.stdout.split():
        require_service(
            "tesseract with its Vietnamese model (make system-packages)",
            FileNotFoundError("tesseract-ocr-vie"),
        )


@pytest.fixture
def postgres_dsn() -> Iterator[str]:
    """A fresh, empty Postgres database for one test; dropped afterwards."""
    import psycopg2

    try:
        admin = psycopg2.connect(PG_ADMIN_DSN, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        require_service("PostgreSQL", exc)
    admin.autocommit = True
    name = f"cchc_test_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f"create database {name}")
    base, _, _ = PG_ADMIN_DSN.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"drop database if exists {name} with (force)")
        admin.close()


def pipeline_env(tmp: Path, **overrides: str) -> dict[str, str]:
    """Environment for a `cchc` subprocess with a throw-away warehouse, serving copy,
    Airflow home and dbt artifacts under `tmp`, reading the repo's sample landing folder."""
    env = {
        **os.environ,
        "CCHC_WAREHOUSE": str(tmp / "warehouse" / "cchc.duckdb"),
        "CCHC_SERVING": str(tmp / "warehouse" / "serving" / "cchc.duckdb"),
        "CCHC_LANDING": str(SAMPLES),
        "AIRFLOW_HOME": str(tmp / "airflow"),
        "DBT_TARGET_PATH": str(tmp / "dbt_target"),
        "DBT_LOG_PATH": str(tmp / "dbt_logs"),
    }
    env.pop("CCHC_POSTGRES_DSN", None)
    env.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", None)
    return {**env, **overrides}


@pytest.fixture
def reader_role(postgres_dsn: str) -> Iterator[str]:
    """A login role for BI, as docker/postgres/initdb/ creates `cchc_reader`."""
    import psycopg2

    name = f"cchc_reader_{uuid.uuid4().hex[:8]}"
    with contextlib.closing(psycopg2.connect(postgres_dsn)) as pg, pg, pg.cursor() as cur:
        cur.execute(f"create role {name} login")
    yield name
    with contextlib.closing(psycopg2.connect(postgres_dsn)) as pg, pg, pg.cursor() as cur:
        cur.execute(f"drop owned by {name}")
        cur.execute(f"drop role {name}")
