"""The same dbt project builds on DuckDB and on a real PostgreSQL, with the same numbers."""

from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg2
import pytest

from ingest import warehouse
from ingest.exports import landed_exports, load_export
from ingest.pipeline import build_models
from ingest.reports import load_report
from ingest.settings import Settings
from ingest.transform import run_dbt
from tests.conftest import SAMPLE_REPORT, SAMPLES

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

MART_TOTALS = """
    select
        (select count(*) from marts.fct_dossiers),
        (select count(*) from marts.fct_report_figures),
        (select sum(dossiers_received) from marts.rpt_agency_monthly_performance),
        (select sum(dossiers_on_time) from marts.rpt_agency_monthly_performance),
        (select sum(dossiers_late) from marts.rpt_agency_monthly_performance),
        (select count(*) from marts.rpt_report_vs_exports)
"""


def load_sample(path: Path) -> None:
    with warehouse.connect(path) as con:
        load_report(con, SAMPLE_REPORT)
        for month in range(1, 13):
            for export in landed_exports(SAMPLES / "exports", f"2020-{month:02d}"):
                load_export(con, export)


def test_duckdb_and_postgres_build_the_same_marts(
    tmp_path: Path, postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    duck = Settings(warehouse=tmp_path / "cchc.duckdb", dbt_target="duckdb")
    load_sample(duck.warehouse)
    run_dbt(["build"], duck, capture=True)

    pg = Settings(warehouse=duck.warehouse, dbt_target="postgres", postgres_dsn=postgres_dsn)
    build_models(pg)  # mirrors raw into Postgres, then dbt build there

    with duckdb.connect(str(duck.warehouse), read_only=True) as con:
        raw_dossiers = con.execute("select count(*) from raw.export_dossiers").fetchone()[0]
    with psycopg2.connect(postgres_dsn) as pg_con, pg_con.cursor() as cur:
        cur.execute("select count(*) from raw.export_dossiers")
        assert cur.fetchone()[0] == raw_dossiers > 0

    with duckdb.connect(str(duck.warehouse), read_only=True) as con:
        duck_totals = con.execute(MART_TOTALS).fetchone()
    with psycopg2.connect(postgres_dsn) as pg_con, pg_con.cursor() as cur:
        cur.execute(MART_TOTALS)
        pg_totals = cur.fetchone()
    assert tuple(int(v) for v in pg_totals) == tuple(int(v) for v in duck_totals)
    assert duck_totals[0] > 3000 and duck_totals[1] > 50
