"""The GX gate fails on bad data and passes on good data, on each backend it claims."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import psycopg2
import pytest

from expectations.runner import GateFailed, run_checks
from expectations.suites import fct_dossier_aggregates, fct_dossiers
from ingest.settings import Settings
from tests.conftest import REPO_ROOT

# What each import puts in sys.modules, in a fresh interpreter. A script file, not
# `python -c`: an imported pyspark takes a __main__ without a file for a doctest run and
# exits 0 on the spot.
IMPORTED = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps({name: name in sys.modules and sys.modules[name] is not None
                  for name in ("great_expectations", "pyspark")}))
"""

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
COLUMNS = "dossier_id, agency_id, channel_code, received_at, due_at, finished_at"
INSERT_DUCKDB = f"insert into marts.fct_dossiers ({COLUMNS}) values (?, ?, ?, ?, ?, ?)"
INSERT_POSTGRES = f"insert into marts.fct_dossiers ({COLUMNS}) values (%s, %s, %s, %s, %s, %s)"
DDL = """create table marts.fct_dossiers (
    dossier_id varchar, agency_id varchar, channel_code integer,
    received_at timestamp, due_at timestamp, finished_at timestamp,
    procedure_id varchar default '1.001053',
    source_file varchar default 'exports/2020-03/agency.csv', source_row integer default 2)"""


def duckdb_settings(tmp_path: Path, rows: list[tuple]) -> Settings:
    settings = Settings(warehouse=tmp_path / "gate.duckdb", dbt_target="duckdb")
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema marts")
        con.execute(DDL)
        con.executemany(
            INSERT_DUCKDB,
            rows,
        )
    return settings


def postgres_settings(tmp_path: Path, rows: list[tuple], dsn: str) -> Settings:
    with psycopg2.connect(dsn) as con, con.cursor() as cur:
        cur.execute("create schema marts")
        cur.execute(DDL)
        cur.executemany(
            INSERT_POSTGRES,
            rows,
        )
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
    # a duplicate dossier and an unknown channel are dbt's to catch (unique,
    # accepted_values on fct_dossiers): `dbt build` fails before the gate runs
    assert failed_checks(settings) == {
        "due_not_before_received": "fail",
        "finished_not_before_received": "fail",
        "agency_known": "warn",
    }
    summary = run_checks(settings, run_id="test", suites=(fct_dossiers,))
    with pytest.raises(GateFailed, match="due_not_before_received"):
        summary.raise_for_failures()


@pytest.mark.postgres
def test_postgres_gate_passes_on_good_and_fails_on_bad(tmp_path: Path, postgres_dsn: str) -> None:
    settings = postgres_settings(tmp_path, GOOD_ROWS, postgres_dsn)
    assert failed_checks(settings) == {}
    with psycopg2.connect(postgres_dsn) as con, con.cursor() as cur:
        cur.executemany(
            INSERT_POSTGRES,
            BAD_ROWS,
        )
    # a duplicate dossier and an unknown channel are dbt's to catch (unique,
    # accepted_values on fct_dossiers): `dbt build` fails before the gate runs
    assert failed_checks(settings) == {
        "due_not_before_received": "fail",
        "finished_not_before_received": "fail",
        "agency_known": "warn",
    }


AGGREGATE_COLUMNS = fct_dossier_aggregates.COUNTS
# received 100 = online 30 + in person 60 + carried over 10; resolved 80 = 10 + 65 + 5;
# pending 20 = 15 + 5
CONSISTENT_LINE = (100, 30, 60, 10, 80, 10, 65, 5, 20, 15, 5)


def aggregate_failures(tmp_path: Path, line: tuple[int, ...]) -> dict[str, str]:
    folder = tmp_path / "-".join(map(str, line))  # one warehouse per form line
    settings = Settings(warehouse=folder / "agg.duckdb", gx_dir=folder / "gx", dbt_target="duckdb")
    folder.mkdir()
    columns = ", ".join(f"{c} bigint" for c in AGGREGATE_COLUMNS)
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema marts")
        con.execute(
            f"create table marts.fct_dossier_aggregates (source_file varchar, source_row integer, {columns})"
        )
        con.execute(
            f"insert into marts.fct_dossier_aggregates values ('form.xlsx', 4, {', '.join(map(str, line))})"
        )
    summary = run_checks(settings, run_id="test", suites=(fct_dossier_aggregates,), store=False)
    return {r.check: r.severity for r in summary.results if not r.success}


def test_aggregate_form_checks_both_ways(tmp_path: Path) -> None:
    assert aggregate_failures(tmp_path, CONSISTENT_LINE) == {}
    on_time_off_by_one = CONSISTENT_LINE[:6] + (66,) + CONSISTENT_LINE[7:]
    assert aggregate_failures(tmp_path, on_time_off_by_one) == {"dossiers_resolved_adds_up": "warn"}
    negative_pending = CONSISTENT_LINE[:10] + (-5,)
    assert aggregate_failures(tmp_path, negative_pending) == {
        "dossiers_pending_overdue_not_negative": "fail",
        "dossiers_pending_adds_up": "warn",
    }


def _run_script(tmp_path: Path, text: str, *args: str) -> dict:
    """Run `text` as a script in a fresh interpreter; its last line of output, as JSON."""
    script = tmp_path / "script.py"
    script.write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _imports(module: str, tmp_path: Path) -> dict[str, bool]:
    return _run_script(tmp_path, IMPORTED, module)


def test_gx_is_imported_only_by_the_validating_process_and_never_pyspark(tmp_path: Path) -> None:
    assert importlib.util.find_spec("pyspark"), "pyspark (dbt's Spark target) is what GX would import"
    # the caller (a pipeline task, the CLI) runs the gate without importing GX
    assert _imports("expectations.runner", tmp_path) == {"great_expectations": False, "pyspark": False}
    assert _imports("expectations.validate", tmp_path) == {"great_expectations": True, "pyspark": False}


# What GX imports at module level for statistical expectations the gate does not use: in the
# validating process they stay unloaded until first used, and then they work.
DEFERRED = """
import json, sys
import expectations.validate
loaded_at_import = {name: name in sys.modules for name in ("altair.vegalite", "scipy.stats._stats_py")}
import altair
from scipy import stats
print(json.dumps({**loaded_at_import, "cdf": stats.norm.cdf(0.0), "chart": altair.Chart.__name__}))
"""


def test_validating_process_loads_scipy_stats_and_altair_only_when_used(tmp_path: Path) -> None:
    assert _run_script(tmp_path, DEFERRED) == {
        "altair.vegalite": False, "scipy.stats._stats_py": False, "cdf": 0.5, "chart": "Chart"}


# In a child process too: importing expectations.validate blocks pyspark for its process.
ENGINE_SETTINGS = """
import json, sys
from pathlib import Path
import sqlalchemy
from expectations.validate import connection_string
from ingest.settings import Settings
settings = Settings(warehouse=Path(sys.argv[1]), duckdb_memory_limit="700MiB")
with sqlalchemy.create_engine(connection_string(settings)).connect() as con:
    row = con.execute(sqlalchemy.text(
        "select current_setting('memory_limit'), current_setting('temp_directory')")).one()
print(json.dumps({"memory_limit": row[0], "temp_directory": row[1],
                  "expected_temp_directory": settings.duckdb_config["temp_directory"]}))
"""


def test_gx_opens_duckdb_with_the_memory_cap_and_spill_folder(tmp_path: Path) -> None:
    opened = _run_script(tmp_path, ENGINE_SETTINGS, str(tmp_path / "w.duckdb"))
    assert opened["memory_limit"] == "700.0 MiB"
    assert opened["temp_directory"] == opened["expected_temp_directory"]
