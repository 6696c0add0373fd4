"""Shared fixtures. Services: PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth).

Outside CI a missing server skips its tests with the reason; under CI=true it fails them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
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


def _create_database(prefix: str):
    """An autocommit admin connection and a new, empty database named `<prefix>_<random>`."""
    import psycopg2

    try:
        admin = psycopg2.connect(PG_ADMIN_DSN, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        require_service("PostgreSQL", exc)
    admin.autocommit = True
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f"create database {name}")
    return admin, name


@pytest.fixture
def postgres_dsn() -> Iterator[str]:
    """A fresh, empty Postgres database for one test; dropped afterwards."""
    admin, name = _create_database("cchc_test")
    base, _, _ = PG_ADMIN_DSN.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"drop database if exists {name} with (force)")
        admin.close()


@pytest.fixture(scope="session")
def airflow_postgres_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Postgres database that `prepare_airflow` (ingest/orchestrate.py: `airflow db
    migrate` and the writer pool) made an Airflow metadata DB, once per test run: the
    template of `airflow_postgres_dsn`. Migrating Postgres takes half a minute; cloning, a second."""
    from ingest.orchestrate import prepare_airflow

    admin, name = _create_database("cchc_test_airflow_template")
    try:
        home = tmp_path_factory.mktemp("airflow_postgres_template")
        dsn = f"{PG_ADMIN_DSN.rpartition('/')[0]}/{name}"
        env = {**os.environ, "AIRFLOW_HOME": str(home),
               "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
               "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
               "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": dsn.replace("postgresql://", "postgresql+psycopg2://")}
        prepare_airflow(env, home / "prepare.log")
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f"drop database if exists {name} with (force)")
        admin.close()


@pytest.fixture
def airflow_postgres_dsn(airflow_postgres_template: str) -> Iterator[str]:
    """A fresh Postgres database for one test, already an Airflow metadata DB with the
    writer pool (a copy of `airflow_postgres_template`); dropped afterwards."""
    import psycopg2

    admin = psycopg2.connect(PG_ADMIN_DSN, connect_timeout=3)
    admin.autocommit = True
    name = f"cchc_test_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f"create database {name} template {airflow_postgres_template}")
    try:
        yield f"{PG_ADMIN_DSN.rpartition('/')[0]}/{name}"
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


CCHC = str(Path(sys.executable).parent / "cchc")


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The repo's whole sample through `cchc run` (the real DAGs), once per test run:
    {"env", "stdout", "stderr", "serving"}. Shared: read it, never write it; a test that
    changes the warehouse or its files works on `copy_build(sample_build, tmp_path)`."""
    env = pipeline_env(tmp_path_factory.mktemp("sample_build"))
    proc = subprocess.run([CCHC, "run"], env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {"env": env, "stdout": proc.stdout, "stderr": proc.stderr, "serving": Path(env["CCHC_SERVING"])}


def copy_build(build: dict, tmp: Path) -> dict:
    """A private copy of a `cchc run` build under `tmp` (warehouse, serving releases, GX
    project, dbt artifacts) with a fresh Airflow home: a test may run `cchc` on it, or
    change it, without disturbing the shared build. Copying is seconds; a build, minutes."""
    env = pipeline_env(tmp)
    shutil.copytree(build["env"]["DBT_TARGET_PATH"], env["DBT_TARGET_PATH"])
    shutil.copytree(Path(build["env"]["CCHC_WAREHOUSE"]).parent, Path(env["CCHC_WAREHOUSE"]).parent)
    return {**build, "env": env, "serving": Path(env["CCHC_SERVING"])}


@pytest.fixture(scope="session")
def sample_docs(sample_build: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`cchc docs` once on a copy of the sample build (it writes the dbt target folder
    and vendors the Data Docs' assets): {"env", "stdout", "stderr"}."""
    build = copy_build(sample_build, tmp_path_factory.mktemp("sample_docs"))
    proc = subprocess.run([CCHC, "docs"], env=build["env"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {"env": build["env"], "stdout": proc.stdout, "stderr": proc.stderr}


@pytest.fixture(scope="session")
def scale1_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A landing folder at the 2020 report's full volume: the sample report, and exports
    written by `cchc generate-exports --scale 1.0` (about 560,000 dossier rows), once per
    test run. Read only."""
    landing = tmp_path_factory.mktemp("scale1_landing")
    shutil.copytree(SAMPLES / "reports", landing / "reports")
    proc = subprocess.run([CCHC, "generate-exports", str(landing / "exports"), "--scale", "1.0"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return landing


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
