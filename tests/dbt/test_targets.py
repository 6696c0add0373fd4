"""The same dbt project builds on DuckDB and on a real PostgreSQL, with the same marts
(test_spark.py compares Spark's with DuckDB's)."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest

from ingest import warehouse
from ingest.pipeline import build_models, dbt_build_args
from ingest.settings import Settings
from ingest.transform import run_dbt
from tests.dbt.marts import (
    MART_TOTALS,
    MORE_MART_NUMBERS,
    differences,
    duckdb_marts,
    load_sample,
    mart_numbers,
    postgres_marts,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_monthly_increment_is_the_same_on_both_targets(
    tmp_path: Path, postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eleven months built on both engines: the same marts, row for row; then December
    loaded and built as a month: each engine's incremental fct_dossiers (delete+insert on
    DuckDB, merge on Postgres) writes December only, and both agree again."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    duck = Settings(warehouse=tmp_path / "cchc.duckdb", dbt_target="duckdb")
    pg = Settings(warehouse=duck.warehouse, dbt_target="postgres", postgres_dsn=postgres_dsn)
    load_sample(duck.warehouse, months=range(1, 12))
    run_dbt(["build"], duck, capture=True)
    build_models(pg)  # mirrors raw into Postgres, then dbt build there
    assert_same_marts(duck, postgres_dsn)

    load_sample(duck.warehouse, months=range(12, 13))
    # December as the transform DAG builds a month: its tests on the rows it wrote
    run_dbt(dbt_build_args(full_history=False), duck, capture=True)
    build_models(pg, full_history=False)

    rows_per_run = (
        "select count(*) as n from marts.fct_dossiers group by dbt_invocation_id order by n"
    )
    december = (
        "select count(distinct dossier_code) from raw.export_dossiers where partition_month = '2020-12'"
    )
    with warehouse.connect(duck.warehouse, read_only=True) as con:
        duck_runs = [n for (n,) in con.execute(rows_per_run).fetchall()]
        (december_dossiers,) = con.execute(december).fetchone()
    with psycopg2.connect(postgres_dsn) as pg_con, pg_con.cursor() as cur:
        cur.execute(rows_per_run)
        pg_runs = [n for (n,) in cur.fetchall()]
    assert duck_runs == pg_runs
    assert december_dossiers in duck_runs and len(duck_runs) == 2
    assert_same_marts(duck, postgres_dsn)


def assert_same_marts(duck: Settings, postgres_dsn: str) -> None:
    """Raw mirrored whole into Postgres; every mart the same on both engines, row for
    row, and the headline numbers too."""
    with warehouse.connect(duck.warehouse, read_only=True) as con:
        raw_dossiers = con.execute("select count(*) from raw.export_dossiers").fetchone()[0]
    with psycopg2.connect(postgres_dsn) as pg_con, pg_con.cursor() as cur:
        cur.execute("select count(*) from raw.export_dossiers")
        assert cur.fetchone()[0] == raw_dossiers > 0
    duck_marts = duckdb_marts(duck.warehouse)
    assert len(duck_marts) >= 15 and len(duck_marts["fct_dossiers"][1]) > 3000
    assert differences(duck_marts, postgres_marts(postgres_dsn)) == []
    duck_totals, pg_totals = mart_numbers(duck.warehouse, postgres_dsn, MART_TOTALS)
    assert pg_totals == duck_totals and duck_totals[1] > 50
    duck_more, pg_more = mart_numbers(duck.warehouse, postgres_dsn, MORE_MART_NUMBERS)
    assert pg_more == duck_more
    assert duck_more[1] > 5000 and duck_more[18] > 0  # the date spine; Decision 766 numerators
