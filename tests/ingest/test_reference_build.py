"""A month's build leaves the seeds and the models the exports do not feed alone only
when a successful whole-project build of the same project files made them on the same
target, and their tables are still there (ingest.transform.reference_is_current)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from ingest.pipeline import MONTH_BUILD_SELECTOR, MONTH_EXPORTS_BUILD_SELECTOR, dbt_build_args
from ingest.settings import REPO_ROOT, Settings
from ingest.transform import (
    reference_build_record,
    reference_is_current,
    write_reference_build_record,
)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    project = tmp_path / "dbt_project"
    project.mkdir()
    for name in ("dbt_project.yml", "seeds", "macros"):
        source = REPO_ROOT / "dbt_project" / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, project / name)
    return Settings(warehouse=tmp_path / "cchc.duckdb", dbt_project_dir=project,
                    dbt_target="duckdb")


def build_seed_tables(settings: Settings, *, leave_out: str | None = None) -> None:
    """The seed tables a build makes, in the warehouse's `reference` schema."""
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema if not exists reference")
        for seed in sorted(settings.dbt_project_dir.glob("seeds/*.csv")):
            if seed.stem != leave_out:
                con.execute(f"create or replace table reference.{seed.stem} as select 1 as x")


def test_a_recorded_build_of_the_same_files_is_current(settings: Settings) -> None:
    build_seed_tables(settings)
    record = reference_build_record(settings)
    assert not reference_is_current(settings, record)  # no whole-project build yet
    write_reference_build_record(settings, record)
    assert reference_is_current(settings, reference_build_record(settings))
    assert dbt_build_args(full_history=False, reference_is_current=True)[-1] == \
        MONTH_EXPORTS_BUILD_SELECTOR
    assert dbt_build_args(full_history=False)[-1] == MONTH_BUILD_SELECTOR


def test_a_changed_seed_or_macro_needs_the_reference_built(settings: Settings) -> None:
    build_seed_tables(settings)
    write_reference_build_record(settings, reference_build_record(settings))
    fields = settings.dbt_project_dir / "seeds" / "fields.csv"
    fields.write_text(fields.read_text() + "\n")
    assert not reference_is_current(settings, reference_build_record(settings))
    write_reference_build_record(settings, reference_build_record(settings))
    assert reference_is_current(settings, reference_build_record(settings))
    macro = settings.dbt_project_dir / "macros" / "cross_engine.sql"
    macro.write_text(macro.read_text() + "\n")
    assert not reference_is_current(settings, reference_build_record(settings))


def test_another_or_a_remade_warehouse_needs_the_reference_built(settings: Settings) -> None:
    build_seed_tables(settings)
    write_reference_build_record(settings, reference_build_record(settings))
    other = settings.model_copy(update={"warehouse": settings.warehouse.with_name("other.duckdb")})
    build_seed_tables(other)
    assert not reference_is_current(other, reference_build_record(other))
    settings.warehouse.unlink()
    build_seed_tables(settings, leave_out="agencies")
    assert not reference_is_current(settings, reference_build_record(settings))
    spark = settings.model_copy(update={"dbt_target": "spark"})
    write_reference_build_record(spark, reference_build_record(spark))
    assert not reference_is_current(spark, reference_build_record(spark))


@pytest.mark.postgres
def test_on_postgres_the_seed_tables_are_looked_up_there(settings: Settings, postgres_dsn: str) -> None:
    import psycopg2

    pg = settings.model_copy(update={"dbt_target": "postgres", "postgres_dsn": postgres_dsn})
    write_reference_build_record(pg, reference_build_record(pg))
    assert not reference_is_current(pg, reference_build_record(pg))  # a database made anew
    con = psycopg2.connect(postgres_dsn)
    try:
        with con, con.cursor() as cur:
            cur.execute("create schema reference")
            for seed in sorted(settings.dbt_project_dir.glob("seeds/*.csv")):
                cur.execute(f"create table reference.{seed.stem} (x integer)")
    finally:
        con.close()
    assert reference_is_current(pg, reference_build_record(pg))
    assert not reference_is_current(settings, reference_build_record(settings))  # duckdb's
