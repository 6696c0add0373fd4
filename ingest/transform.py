"""Runs dbt in a subprocess: the DuckDB file is released when dbt exits, so the
next writer (GX, publish, the next load) never finds it held."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

from ingest.settings import Settings


class TransformError(RuntimeError):
    pass


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment the dbt profile reads (see dbt_project/profiles.yml)."""
    env = {**os.environ, **settings.to_env()}
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    if settings.postgres_dsn:
        dsn = urlparse(settings.postgres_dsn)
        env["CCHC_PG_HOST"] = dsn.hostname or "127.0.0.1"
        env["CCHC_PG_PORT"] = str(dsn.port or 5432)
        env["CCHC_PG_USER"] = dsn.username or "postgres"
        env["CCHC_PG_PASSWORD"] = dsn.password or ""
        env["CCHC_PG_DATABASE"] = (dsn.path or "/cchc").lstrip("/")
    if settings.dbt_target == "spark":
        # where Spark reads raw (ingest/lake.py) and keeps its own files (session mode)
        env["CCHC_SPARK_LAKE"] = _absolute(settings.spark_lake or settings.lake)
        env["CCHC_SPARK_WAREHOUSE"] = _absolute(settings.spark_warehouse)
        env["CCHC_SPARK_DIR"] = str(settings.spark_dir.resolve())
    return env


def _absolute(location: str) -> str:
    """A local path made absolute (dbt runs in the project folder); URLs as given."""
    return location if "://" in location else str(Path(location).resolve())


def dbt_target_path(settings: Settings) -> Path:
    """Where dbt writes its artifacts and docs site (DBT_TARGET_PATH, as dbt reads it)."""
    return Path(os.environ.get("DBT_TARGET_PATH") or settings.dbt_project_dir / "target").resolve()


def dbt_executable() -> str:
    return str(Path(sys.executable).parent / "dbt")


def run_dbt(args: list[str], settings: Settings, capture: bool = False) -> str:
    """Run one dbt command against the configured target; raise with dbt's output on failure."""
    project = settings.dbt_project_dir.resolve()
    if settings.dbt_target == "duckdb" and not settings.raw_warehouse.exists():
        # the profile attaches the raw file read-only: make it (and move raw out of a
        # warehouse file from before it) first
        from ingest import warehouse

        warehouse.connect(settings.warehouse, config=settings.duckdb_config,
                          raw=settings.raw_warehouse).close()
    cmd = [
        dbt_executable(),
        *args,
        "--project-dir", str(project),
        "--profiles-dir", str(project),
        "--target", settings.dbt_target,
    ]
    proc = subprocess.run(
        cmd, env=dbt_env(settings), cwd=project, text=True,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
    )
    if proc.returncode != 0:
        detail = f"\n{proc.stdout[-4000:]}" if capture and proc.stdout else ""
        raise TransformError(
            f"`dbt {' '.join(args)}` failed (exit {proc.returncode}) on target "
            f"{settings.dbt_target}; see the dbt log in {project / 'logs'}{detail}"
        )
    return proc.stdout or ""
