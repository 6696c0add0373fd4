"""Runs dbt in a subprocess: the DuckDB file is released when dbt exits, so the
next writer (GX, publish, the next load) never finds it held."""

from __future__ import annotations

import hashlib
import json
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


# ------------------------------------------------------------- what the reference was built from

# The dbt project's inputs: a change to any may change what a build writes.
DBT_PROJECT_INPUTS = ("dbt_project.yml", "packages.yml", "models", "seeds", "macros", "snapshots",
                      "tests", "analyses")
_CODE_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".py", ".json", ".md"}
# Written beside dbt's artifacts by a build that built the reference part (the seeds and
# the models the export sources do not feed); a month's build reads it.
REFERENCE_BUILD_FILE = "reference_build.json"


def dbt_project_inputs(settings: Settings) -> list[Path]:
    return [settings.dbt_project_dir / name for name in DBT_PROJECT_INPUTS]


def files_fingerprint(roots: list[Path]) -> str:
    """sha256 over the code files under `roots` (files or folders): path and content."""
    digest = hashlib.sha256()
    for root in roots:
        files = [root] if root.is_file() else sorted(
            p for p in root.rglob("*")
            if p.is_file() and p.suffix in _CODE_SUFFIXES and "__pycache__" not in p.parts)
        for path in files:
            digest.update(path.relative_to(root.parent).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _built_where(settings: Settings) -> dict[str, str]:
    """The target a build wrote to: the engine and its database (no password)."""
    if settings.dbt_target == "postgres":
        dsn = urlparse(settings.postgres_dsn or "")
        location = f"{dsn.hostname}:{dsn.port or 5432}{dsn.path}"
    elif settings.dbt_target == "spark":
        location = _absolute(settings.spark_warehouse or "")
    else:
        location = str(settings.warehouse.resolve())
    return {"target": settings.dbt_target, "location": location}


def reference_build_record(settings: Settings) -> dict[str, str]:
    """What a whole-project build now records: the target and the project files' sha256
    (taken before the build, so a file changed during it is not vouched for)."""
    return {**_built_where(settings),
            "project_fingerprint": files_fingerprint(dbt_project_inputs(settings))}


def write_reference_build_record(settings: Settings, record: dict[str, str]) -> None:
    """Note, after a successful build of the whole project, which project files the
    target's reference tables were built from."""
    path = dbt_target_path(settings) / REFERENCE_BUILD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")


def reference_is_current(settings: Settings, record: dict[str, str]) -> bool:
    """True when the target's seeds and the models the exports do not feed were built by
    a successful whole-project build with the same `record` (reference_build_record: the
    project files as they are now), and its seed tables are there: a month's build can
    then leave them alone. Always false on Spark (its tables are not looked up here)
    and after any change to the dbt project (a seed, a model, a macro)."""
    path = dbt_target_path(settings) / REFERENCE_BUILD_FILE
    if settings.dbt_target == "spark" or not path.exists():
        return False
    try:
        recorded = json.loads(path.read_text())
    except json.JSONDecodeError:
        return False
    return recorded == record and _seed_tables_exist(settings)


def _seed_tables_exist(settings: Settings) -> bool:
    """Every seed's table is in the target's `reference` schema (a warehouse made anew
    since the record has none)."""
    seeds = sorted(p.stem for p in (settings.dbt_project_dir / "seeds").glob("*.csv"))
    query = ("select count(distinct table_name) from information_schema.tables "
             "where table_schema = 'reference' and table_name in ({})")
    if settings.dbt_target == "postgres":
        import psycopg2

        con = psycopg2.connect(settings.postgres_dsn)
        try:
            with con.cursor() as cur:
                cur.execute(query.format(", ".join(["%s"] * len(seeds))), seeds)
                (found,) = cur.fetchone()
        finally:
            con.close()
        return found == len(seeds)
    if not settings.warehouse.exists():
        return False
    import duckdb

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        (found,) = con.execute(query.format(", ".join(["?"] * len(seeds)))
                               + " and table_catalog = current_database()", seeds).fetchone()
    return found == len(seeds)
