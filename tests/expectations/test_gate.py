"""The GX gate fails on bad data and passes on good data, on each backend it claims."""

from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg2
import pytest

from expectations.runner import GateFailed, run_checks
from expectations.suites import fct_dossiers
from ingest.settings import Settings

GOOD_ROWS = [
    # dossier_id, agency_id, channel_code, received_at, due_at, finished_at
    ("A-1", "000.00.02.H34", 1, "2020-03-02 08:00", "2020-03-10 17:00", "2020-03-09 10:00"),
    ("A-2", "000.00.02.H34", 2, "2020-03-03 08:00", "2020-03-10 17:00", None),
    ("A-3", "000.00.33.H34", 3, "2020-03-04 08:00", "2020-03-06 17:00", "2020-03-08 10:00"),
]
BAD_ROWS = [
    ("A-3", "000.00.33.H34", 3, "2020-03-04 08:00", "2020-03-06 17:00", "2020-03-08 10:00"),  # duplicate id
    (
        "B-1",
        "unknown",
        9,
        "2020-03-05 08:00",
        "2020-03-01 17:00",
        "2020-03-04 10:00",
    ),  # channel, due and finished before received
]
DDL = """create table marts.fct_dossiers (
    dossier_id varchar, agency_id varchar, channel_code integer,
    received_at timestamp, due_at timestamp, finished_at timestamp)"""


def duckdb_settings(tmp_path: Path, rows: list[tuple]) -> Settings:
    settings = Settings(warehouse=tmp_path / "gate.duckdb", dbt_target="duckdb")
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema marts")
        con.execute(DDL)
        con.executemany("insert into marts.fct_dossiers values (?, ?, ?, ?, ?, ?)", rows)
    return settings


def postgres_settings(tmp_path: Path, rows: list[tuple], dsn: str) -> Settings:
    with psycopg2.connect(dsn) as con, con.cursor() as cur:
        cur.execute("create schema marts")
        cur.execute(DDL)
        cur.executemany("insert into marts.fct_dossiers values (%s, %s, %s, %s, %s, %s)", rows)
    return Settings(warehouse=tmp_path / "unused.duckdb", dbt_target="postgres", postgres_dsn=dsn)


def failed_checks(settings: Settings) -> dict[str, str]:
    summary = run_checks(settings, run_id="test", suites=(fct_dossiers,))
    return {r.check: r.severity for r in summary.results if not r.success}


def test_duckdb_gate_passes_on_good_data(tmp_path: Path) -> None:
    settings = duckdb_settings(tmp_path, GOOD_ROWS)
    assert failed_checks(settings) == {}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        stored = con.execute(
            "select count(*), count(*) filter (where success) from audit.check_results where run_id = 'test'"
        ).fetchone()
    assert stored == (len(fct_dossiers.checks()), len(fct_dossiers.checks()))


def test_duckdb_gate_fails_on_bad_data_and_names_the_checks(tmp_path: Path) -> None:
    settings = duckdb_settings(tmp_path, GOOD_ROWS + BAD_ROWS)
    assert failed_checks(settings) == {
        "dossier_id_unique": "fail",
        "channel_known": "fail",
        "due_not_before_received": "fail",
        "finished_not_before_received": "fail",
        "agency_known": "warn",
    }
    summary = run_checks(settings, run_id="test", suites=(fct_dossiers,))
    with pytest.raises(GateFailed, match="dossier_id_unique.*channel_known|channel_known"):
        summary.raise_for_failures()


@pytest.mark.postgres
def test_postgres_gate_passes_on_good_and_fails_on_bad(tmp_path: Path, postgres_dsn: str) -> None:
    settings = postgres_settings(tmp_path, GOOD_ROWS, postgres_dsn)
    assert failed_checks(settings) == {}
    with psycopg2.connect(postgres_dsn) as con, con.cursor() as cur:
        cur.executemany("insert into marts.fct_dossiers values (%s, %s, %s, %s, %s, %s)", BAD_ROWS)
    assert failed_checks(settings) == {
        "dossier_id_unique": "fail",
        "channel_known": "fail",
        "due_not_before_received": "fail",
        "finished_not_before_received": "fail",
        "agency_known": "warn",
    }
