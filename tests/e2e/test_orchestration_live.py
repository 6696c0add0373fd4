"""Airflow as it runs in production, for real: Postgres metadata database, the execution
API server, a DAG processor and a scheduler (LocalExecutor), all started here as
subprocesses on temporary folders.

- `airflow backfill create` over 2020-01..2020-03 runs three monthly runs in parallel
  (max active runs 3) that queue on the `duckdb_writer` pool, and loads exactly the
  sample's rows for those months;
- each run's outlet records an asset event, and a new event queues an asset-triggered
  `cchc_transform_publish` run;
- a rerun of a month changes nothing in the warehouse.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import psycopg2
import pytest

from ingest import warehouse
from tests.dags.airflow_harness import (
    AIRFLOW,
    Services,
    airflow_env,
    copy_landing,
    free_port,
    run_airflow,
    sample_rows_per_agency_month,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
MONTHS = ["2020-01", "2020-02", "2020-03"]
RUN_TIMEOUT = 180


def live_env(tmp: Path, landing: Path, postgres_dsn: str, executor: str, **extra: str) -> dict[str, str]:
    api_port = free_port()
    return airflow_env(
        tmp, landing,
        AIRFLOW_HOME=str(tmp / "airflow"),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgres_dsn.replace("postgresql://", "postgresql+psycopg2://"),
        AIRFLOW__CORE__EXECUTOR=executor,
        AIRFLOW__CORE__PARALLELISM="4",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{api_port}/execution/",
        AIRFLOW__API__PORT=str(api_port),
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{api_port}",
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(32),
        AIRFLOW__API__SECRET_KEY=secrets.token_urlsafe(32),
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="1",
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
        CCHC_TEST_API_PORT=str(api_port),
        **extra,
    )


def start_api_server(services: Services) -> None:
    port = services.env["CCHC_TEST_API_PORT"]
    services.start("api-server", [AIRFLOW, "api-server", "--apps", "execution", "-H", "127.0.0.1",
                                  "-p", port, "-w", "1"])


def sql(dsn: str, query: str, params: tuple = ()) -> list[tuple]:
    with psycopg2.connect(dsn) as con, con.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def dags_parsed(dsn: str) -> bool:
    return len(sql(dsn, "select dag_id from serialized_dag group by dag_id")) >= 3


def runs(dsn: str, dag_id: str) -> list[tuple]:
    return sql(dsn, """
        select run_id, run_type, state, data_interval_start::date::text, start_date, end_date
        from dag_run where dag_id = %s order by data_interval_start, id""", (dag_id,))


def finished_backfill(dsn: str, expected: int) -> list[tuple] | None:
    found = [r for r in runs(dsn, "cchc_monthly_exports") if r[1] == "backfill"]
    failed = [r for r in found if r[2] == "failed"]
    assert not failed, f"backfill runs failed: {failed}"
    return found if len(found) == expected and all(r[2] == "success" for r in found) else None


def warehouse_rows(path: str) -> tuple[dict, dict]:
    """Rows per (agency folder, month folder) of the source files, and a fingerprint of raw."""
    with warehouse.connect(path, read_only=True) as con:
        per_folder = con.execute("""
            with accounted as (
                select source_file from raw.export_dossiers
                union all select source_file from raw.export_quarantine
            )
            select split_part(source_file, '/', -3), split_part(source_file, '/', -2), count(*)
            from accounted group by all""").fetchall()
        fingerprint = {
            table: con.execute(f"select count(*), bit_xor(hash(t)) from raw.{table} as t").fetchone()
            for table in ("export_dossiers", "export_quarantine")
        }
        fingerprint["load_manifest"] = con.execute(
            "select count(*), bit_xor(hash(file_sha256, partitions, rows_read, rows_loaded, "
            "rows_quarantined, loaded_at)) from raw.load_manifest").fetchone()
    return {(agency, month): n for agency, month, n in per_folder}, fingerprint


def test_backfill_three_months_with_a_real_scheduler(tmp_path: Path, airflow_postgres_dsn: str) -> None:
    dsn = airflow_postgres_dsn
    landing = copy_landing(tmp_path / "landing")  # the whole year lands; only Q1 is backfilled
    # Migrated by prepare_airflow (db migrate + the duckdb_writer pool) as a template, cloned.
    env = live_env(tmp_path, landing, dsn, "LocalExecutor")
    assert "duckdb_writer" in run_airflow(["pools", "get", "duckdb_writer"], env)

    services = Services(env, tmp_path / "logs")
    try:
        start_api_server(services)
        services.start("dag-processor", [AIRFLOW, "dag-processor"])
        services.start("scheduler", [AIRFLOW, "scheduler"])
        wait_for(lambda: dags_parsed(dsn), 120, "the DAG processor to parse the DAGs", services)

        # The scheduler runs no run of a paused DAG, backfills included. Unpaused (catchup
        # off), the monthly DAG also gets its latest scheduled run (an empty month here).
        run_airflow(["dags", "unpause", "cchc_monthly_exports"], env)
        # Three months in parallel: more active runs than writer slots.
        run_airflow(["backfill", "create", "--dag-id", "cchc_monthly_exports",
                     "--from-date", "2020-01-01", "--to-date", "2020-03-31",
                     "--max-active-runs", "3"], env)
        backfill = wait_for(lambda: finished_backfill(dsn, 3), RUN_TIMEOUT,
                            "3 successful backfill runs", services)
        assert [r[3] for r in backfill] == ["2020-01-01", "2020-02-01", "2020-03-01"]

        # The pool: the runs overlapped, their writer tasks did not.
        wait_for(lambda: not sql(dsn, """
            select 1 from task_instance where dag_id = 'cchc_monthly_exports'
            and (end_date is null or state <> 'success')"""), RUN_TIMEOUT,
                 "the scheduled monthly run to finish", services)
        tis = sql(dsn, """
            select start_date, end_date, pool from task_instance
            where dag_id = 'cchc_monthly_exports' order by start_date""")
        assert len(tis) >= 3 and {ti[2] for ti in tis} == {"duckdb_writer"}
        for earlier, later in zip(tis, tis[1:], strict=False):
            assert earlier[1] <= later[0], f"two writers at once: {earlier} / {later}"
        run_windows = sorted((r[4], r[5]) for r in backfill)
        assert any(run_windows[i + 1][0] < run_windows[i][1] for i in range(2)), (
            f"the backfill runs did not run in parallel: {run_windows}")

        # Each run recorded an asset event on cchc_raw_exports, from that run.
        events = sql(dsn, """
            select e.source_run_id from asset_event e join asset a on a.id = e.asset_id
            where a.name = 'cchc_raw_exports' order by e.id""")
        assert {r[0] for r in backfill} <= {e[0] for e in events}
        assert len(events) == len(tis)  # one per successful load, nothing else

        # The transform DAG consumes exactly the load DAGs' assets.
        consumed = sql(dsn, """
            select a.name from dag_schedule_asset_reference r join asset a on a.id = r.asset_id
            where r.dag_id = 'cchc_transform_publish' order by a.name""")
        assert consumed == [("cchc_raw_exports",), ("cchc_raw_reports",)]
        # Paused (as every new DAG here): the events queued nothing yet.
        assert runs(dsn, "cchc_transform_publish") == []

        # Exactly the sample's Jan-Mar rows, per (agency, month), and nothing else.
        per_folder, before = warehouse_rows(env["CCHC_WAREHOUSE"])
        assert per_folder == dict(sample_rows_per_agency_month(MONTHS))

        # A new asset event with the transform DAG unpaused queues an asset-triggered run:
        # rerun March (reprocess the completed run).
        run_airflow(["dags", "unpause", "cchc_transform_publish"], env)
        # One running backfill per DAG: the scheduler closes the first one after its runs.
        wait_for(lambda: not sql(dsn, "select id from backfill where completed_at is null"),
                 60, "the scheduler to complete the first backfill", services)
        run_airflow(["backfill", "create", "--dag-id", "cchc_monthly_exports",
                     "--from-date", "2020-03-01", "--to-date", "2020-03-31",
                     "--reprocess-behavior", "completed"], env)
        wait_for(lambda: len(sql(dsn, "select id from asset_event")) == len(events) + 1,
                 RUN_TIMEOUT,
                 "the rerun of March to emit its asset event", services)
        triggered = wait_for(
            lambda: [r for r in runs(dsn, "cchc_transform_publish") if r[1] == "asset_triggered"],
            60, "an asset-triggered cchc_transform_publish run", services)
        assert len(triggered) == 1
        consumed_events = sql(dsn, """
            select e.source_dag_id, e.source_run_id from dagrun_asset_event d
            join dag_run r on r.id = d.dag_run_id join asset_event e on e.id = d.event_id
            where r.run_id = %s""", (triggered[0][0],))
        assert consumed_events and {e[0] for e in consumed_events} == {"cchc_monthly_exports"}
        wait_for(lambda: [r for r in runs(dsn, "cchc_monthly_exports")
                          if r[3] == "2020-03-01" and r[2] == "success"], RUN_TIMEOUT,
                 "the rerun of March to succeed", services)
    finally:
        services.stop()

    # The rerun changed nothing (the transform run, stopped above, never writes raw).
    per_folder_after, after = warehouse_rows(env["CCHC_WAREHOUSE"])
    assert per_folder_after == per_folder
    assert after == before


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
