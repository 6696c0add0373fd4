"""fct_dossiers is incremental: a monthly load re-derives that month's dossiers only,
and the result, fct_dossier_activity (incremental by source month) and every mart rolled
up from it included, equals a full refresh. A month's build (the pipeline's) leaves out
the full-history tests and tests the rows it wrote, and leaves the seeds and dimensions a
build of the same project made alone; a full-history build runs them all."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest import warehouse
from ingest.exports import landed_exports, load_export
from ingest.pipeline import FULL_HISTORY_TAG, build_models
from ingest.reports import load_report
from ingest.settings import Settings
from ingest.transform import TransformError, run_dbt
from tests.conftest import SAMPLE_REPORT, SAMPLES
from tests.dbt.marts import VOLATILE_COLUMNS

pytestmark = pytest.mark.slow


def load_months(path: Path, months: range) -> None:
    with warehouse.connect(path) as con:
        load_report(con, SAMPLE_REPORT)
        for month in months:
            for export in landed_exports(SAMPLES / "exports", f"2020-{month:02d}"):
                load_export(con, export)


def rows_per_run(path: Path) -> list[int]:
    with warehouse.connect(path, read_only=True) as con:
        return sorted(
            n for (n,) in con.execute(
                "select count(*) from marts.fct_dossiers group by dbt_invocation_id"
            ).fetchall()
        )


def fingerprint(path: Path) -> dict[str, tuple]:
    """Row count and an order-independent hash of every mart (which run wrote a row and
    when aside: VOLATILE_COLUMNS)."""
    with warehouse.connect(path, read_only=True) as con:
        columns = {}
        for table, column in con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'marts'"
        ).fetchall():
            columns.setdefault(table, []).append(column)
        return {
            table: con.execute(
                "select count(*), bit_xor(hash(t)) from (select "
                + ", ".join(c for c in names if c not in VOLATILE_COLUMNS)
                + f" from marts.{table}) as t"
            ).fetchone()
            for table, names in columns.items()
        }


def fct_dossiers_seconds(target: Path) -> float:
    results = json.loads((target / "run_results.json").read_text())["results"]
    return next(r["execution_time"] for r in results if r["unique_id"].endswith(".fct_dossiers"))


def nodes_run(target: Path) -> tuple[str, dict[str, dict]]:
    """The last dbt invocation's id and its results by node id."""
    run_results = json.loads((target / "run_results.json").read_text())
    return (run_results["metadata"]["invocation_id"],
            {r["unique_id"]: r for r in run_results["results"]})


def full_history_tests(target: Path) -> set[str]:
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    return {node_id for node_id, node in nodes.items()
            if node["resource_type"] == "test" and FULL_HISTORY_TAG in node["tags"]}


def a_december_free_dossier(path: Path) -> str:
    """A dossier of January that no December row touches (the December build leaves it)."""
    with warehouse.connect(path, read_only=True) as con:
        (dossier_id,) = con.execute(
            "select min(dossier_id) from marts.fct_dossiers where source_partition_month = '2020-01' "
            "and dossier_id not in (select dossier_code from raw.export_dossiers "
            "where partition_month = '2020-12')").fetchone()
    return dossier_id


def set_channel(path: Path, dossier_id: str, channel_code: int) -> int:
    with warehouse.connect(path) as con:
        (previous,) = con.execute("select channel_code from marts.fct_dossiers where dossier_id = ?",
                                  [dossier_id]).fetchone()
        con.execute("update marts.fct_dossiers set channel_code = ? where dossier_id = ?",
                    [channel_code, dossier_id])
    return previous


def test_monthly_load_rebuilds_only_the_new_month(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "target"
    monkeypatch.setenv("DBT_TARGET_PATH", str(target))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    settings = Settings(warehouse=tmp_path / "cchc.duckdb", dbt_target="duckdb")

    load_months(settings.warehouse, range(1, 12))
    build_models(settings)  # the pipeline's full-history build: it records the reference
    eleven_months = rows_per_run(settings.warehouse)
    assert len(eleven_months) == 1
    # a full-history build runs the full-history tests (all of them pass) and the unit tests
    _, full_run = nodes_run(target)
    full_history = full_history_tests(target)
    assert len(full_history) >= 5
    assert {full_run[t]["status"] for t in full_history} <= {"pass"}
    assert any(node.startswith("unit_test.") for node in full_run)
    assert any(node.startswith("test.cchc.unique_dim_agencies_") for node in full_run)
    # an old row the month will not touch, made wrong behind dbt's back: only a
    # full-history build can see it
    untouched = a_december_free_dossier(settings.warehouse)
    channel = set_channel(settings.warehouse, untouched, 9)

    load_months(settings.warehouse, range(12, 13))
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        (december,) = con.execute(
            "select count(distinct dossier_code) from raw.export_dossiers "
            "where partition_month = '2020-12'"
        ).fetchone()
    started = time.perf_counter()
    build_models(settings, full_history=False)
    incremental_seconds = time.perf_counter() - started
    # the month's build: no full-history test, no unit test, no test of the reference
    # data, the seeds and dimensions left as the full-history build made them (same
    # project files), and the facts' tests read the rows this build wrote (the wrong old
    # row passes unseen)
    invocation_id, month_run = nodes_run(target)
    assert {r["status"] for r in month_run.values()} <= {"success", "pass"}
    incremental_fct_seconds = fct_dossiers_seconds(target)
    assert not full_history & set(month_run)
    assert not any(node.startswith(("unit_test.", "seed.")) for node in month_run)
    assert not any(node.startswith("test.cchc.unique_dim_agencies_") for node in month_run)
    assert "model.cchc.dim_agencies" not in month_run
    assert "model.cchc.rpt_agency_monthly_performance" in month_run
    scoped = [r for node, r in month_run.items()
              if node.startswith(("test.cchc.unique_fct_dossiers_dossier_id.",
                                  "test.cchc.accepted_values_fct_dossiers_channel_code",
                                  "test.cchc.unique_combination_of_columns_fct_dossier_activity_"))]
    assert len(scoped) == 3
    assert all(f"dbt_invocation_id = '{invocation_id}'" in r["compiled_code"] for r in scoped)
    assert {r["status"] for r in scoped} == {"pass"}
    # the full-history build tests whole tables: it finds the wrong row, and the
    # full-history tests (incl. the comparison with a full deduplication) pass
    with pytest.raises(TransformError, match="accepted_values_fct_dossiers_channel_code"):
        run_dbt(["test", "--select", "fct_dossiers"], settings, capture=True)
    set_channel(settings.warehouse, untouched, channel)
    out = run_dbt(["test", "--select", f"tag:{FULL_HISTORY_TAG}"], settings, capture=True)
    assert "WARN=0" in out and "ERROR=0" in out, out[-3000:]
    # the December run wrote December's dossiers, and only those
    assert rows_per_run(settings.warehouse) == sorted([eleven_months[0], december])
    incremental = fingerprint(settings.warehouse)

    started = time.perf_counter()
    run_dbt(["build", "--full-refresh"], settings, capture=True)
    full_seconds = time.perf_counter() - started
    assert rows_per_run(settings.warehouse) == [eleven_months[0] + december]
    assert fingerprint(settings.warehouse) == incremental
    print(
        f"\nfct_dossiers rows written: incremental {december} (one month) vs full refresh "
        f"{eleven_months[0] + december} (12 months); fct_dossiers "
        f"{incremental_fct_seconds:.2f}s vs {fct_dossiers_seconds(target):.2f}s; "
        f"whole build {incremental_seconds:.1f}s vs {full_seconds:.1f}s"
    )


def test_rows_written_behind_the_loader_are_picked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A raw row of an old month from a file the fact has not read is re-derived: a file
    loaded since (in the manifest) or a row written behind the loader's back (not in it).
    A file already read is not re-derived again."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    settings = Settings(warehouse=tmp_path / "cchc.duckdb", dbt_target="duckdb")
    load_months(settings.warehouse, range(1, 4))
    build = ["build", "--select", "+fct_dossiers", "--exclude", "test_type:data"]
    run_dbt(build, settings, capture=True)
    with warehouse.connect(settings.warehouse) as con:
        for file, dossier in (("late-file", "LATE-1"), ("behind-the-loader", "LATE-2")):
            con.execute("""
                insert into raw.export_dossiers (file_sha256, source_file, source_row,
                    partition_agency, partition_month, dossier_code, agency_code, channel,
                    status, received_at)
                values (?, 'late.csv', 1, '000.00.02.H34', '2020-01', ?, '000.00.02.H34', 2, 2,
                    timestamp '2020-01-05 08:00')""", [file, dossier])
        # the late file as the loader writes one: its rows and its manifest row
        con.execute("""
            insert into raw.load_manifest (file_sha256, source_file, source_kind, partitions,
                rows_read, rows_loaded, rows_quarantined, loaded_at)
            values ('late-file', 'late.csv', 'dossiers', '["000.00.02.H34/2020-01"]', 1, 1, 0, ?)""",
            [datetime.now(UTC).replace(tzinfo=None)])
    run_dbt(build, settings, capture=True)
    assert rows_per_run(settings.warehouse)[0] == 2
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        assert con.execute(
            "select dossier_id, agency_key, is_online, is_pending from marts.fct_dossiers "
            "where dossier_id like 'LATE-%' order by dossier_id"
        ).fetchall() == [("LATE-1", "000.00.02.H34@2016-01-01", True, True),
                         ("LATE-2", "000.00.02.H34@2016-01-01", True, True)]
        (late_file_run,) = con.execute(
            "select dbt_invocation_id from marts.fct_dossiers where dossier_id = 'LATE-1'").fetchone()
    # a rerun: the late file was read, so its dossier stays as the last run wrote it
    run_dbt(build, settings, capture=True)
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        assert con.execute(
            "select dbt_invocation_id from marts.fct_dossiers where dossier_id = 'LATE-1'"
        ).fetchone() == (late_file_run,)
