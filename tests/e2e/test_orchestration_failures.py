"""Failures through the real DAGs (`dag.test()` in a subprocess, SQLite metadata DB):
bad data fails once and alerts the webhook; a locked warehouse is retried and recovers."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ingest import warehouse
from tests.dags.airflow_harness import (
    DagTestProcess,
    airflow_env,
    copy_landing,
    sample_rows_per_agency_month,
    webhook_receiver,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite metadata DB for the module (each test has its own folders)."""
    return tmp_path_factory.mktemp("airflow_home")


@pytest.fixture(scope="module")
def airflow(airflow_home: Path) -> Iterator[DagTestProcess]:
    """One Airflow process for the module's `dag.test()` runs; it migrates the DB first."""
    env = airflow_env(airflow_home, airflow_home, AIRFLOW_HOME=str(airflow_home))
    with DagTestProcess(env, airflow_home / "dag-test.log", migrate=True) as process:
        yield process


def task_tries(home: Path, run_id: str) -> list[tuple]:
    with sqlite3.connect(home / "airflow.db") as con:
        return con.execute(
            "select task_id, state, try_number from task_instance where run_id = ? order by task_id",
            [run_id],
        ).fetchall()


def test_bad_report_fails_at_once_and_posts_one_alert(tmp_path: Path, airflow_home: Path,
                                                      airflow: DagTestProcess) -> None:
    landing = copy_landing(tmp_path / "landing", months=[])
    junk = landing / "reports" / "khanh-hoa" / "2020" / "not_a_report.txt"
    junk.parent.mkdir(parents=True)
    junk.write_text("Danh sach can bo di cong tac thang 3\n", encoding="utf-8")

    with webhook_receiver() as (url, received):
        env = airflow_env(tmp_path, landing, AIRFLOW_HOME=str(airflow_home),
                          AIRFLOW_VAR_CCHC_ALERTS_WEBHOOK_URL=url)
        result = airflow.test(env, dag_id="cchc_yearly_reports", logical_date="2021-01-01")

    assert result["state"] == "failed"
    # Bad data: one try, although the task has retries=2.
    assert task_tries(airflow_home, result["run_id"]) == [("load_reports", "failed", 1)]
    assert len(received) == 1, result["output"][-3000:]
    (alert,) = received
    assert alert["path"] == "/hooks/cchc" and alert["content_type"] == "application/json"
    payload = alert["json"]
    assert payload["dag_id"] == "cchc_yearly_reports" and payload["task_id"] == "load_reports"
    assert payload["run_id"] == result["run_id"]
    assert payload["data_interval_start"].startswith("2020-01-01")
    assert payload["data_interval_end"].startswith("2021-01-01")
    assert payload["exception_type"] == "ReportError"
    assert "not_a_report.txt" in payload["exception_message"]
    assert payload["failure_kind"] == "bad_data"
    assert payload["try_number"] == 1
    assert "/dags/cchc_yearly_reports/runs/" in payload["log_url"]
    assert payload["summary"].startswith("CCHC task failed: cchc_yearly_reports.load_reports")
    assert "not retried" in payload["summary"]
    # The same paragraph is in the task log.
    assert "CCHC task failed: cchc_yearly_reports.load_reports" in result["output"]


def test_locked_warehouse_is_retried_and_the_run_recovers(tmp_path: Path, airflow_home: Path,
                                                          airflow: DagTestProcess) -> None:
    """Another process holds the DuckDB file on the first try ("Could not set lock on
    file"): a transient error, so Airflow retries; the lock is gone on the second try."""
    month = "2020-02"
    landing = copy_landing(tmp_path / "landing", months=[month])
    with webhook_receiver() as (url, received):
        env = airflow_env(tmp_path, landing, AIRFLOW_HOME=str(airflow_home),
                          AIRFLOW_VAR_CCHC_ALERTS_WEBHOOK_URL=url)
        result = airflow.test(env, dag_id="cchc_monthly_exports", logical_date="2020-03-01",
                              lock_warehouse=True, fast_retries=True)

    assert "Could not set lock on file" in result["output"]
    assert result["state"] == "success", result["output"][-4000:]
    assert task_tries(airflow_home, result["run_id"]) == [("load_exports", "success", 2)]
    assert received == [], "a retried transient error must not alert"
    with warehouse.connect(env["CCHC_WAREHOUSE"], read_only=True) as con:
        loaded = con.execute(
            "select count(*) from (select source_row from raw.export_dossiers "
            "union all select source_row from raw.export_quarantine)"
        ).fetchone()[0]
    assert loaded == sum(sample_rows_per_agency_month([month]).values())


def test_broken_webhook_does_not_change_the_failure(tmp_path: Path, airflow_home: Path,
                                                    airflow: DagTestProcess) -> None:
    """The webhook answers 500: the task still fails once with the real error, nothing else."""
    landing = copy_landing(tmp_path / "landing", months=[])
    bad = landing / "exports" / "000.00.02.H34" / "2020-04" / "export.xlsx"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"this is not a spreadsheet")
    with webhook_receiver(status=500) as (url, received):
        env = airflow_env(tmp_path, landing, AIRFLOW_HOME=str(airflow_home),
                          AIRFLOW_VAR_CCHC_ALERTS_WEBHOOK_URL=url)
        result = airflow.test(env, dag_id="cchc_monthly_exports", logical_date="2020-05-01")
    assert result["state"] == "failed"
    assert task_tries(airflow_home, result["run_id"]) == [("load_exports", "failed", 1)]
    assert len(received) == 1 and received[0]["json"]["exception_type"] == "ExportError"
    assert "answered HTTP 500" in result["output"] or "HTTPError" in result["output"]


def warehouse_with_marts(path: Path, files: list[str]) -> None:
    """A warehouse as build_models leaves it: marts, and raw.load_manifest naming `files`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with warehouse.connect(path) as con:
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.dim_agencies as select range as id from range(?)",
                    [len(files)])
        con.execute("delete from raw.load_manifest")
        for sha in files:
            con.execute("insert into raw.load_manifest (file_sha256, source_file, source_kind, "
                        "partitions, rows_read, rows_loaded, rows_quarantined, loaded_at) "
                        "values (?, 'f.csv', 'dossiers', '[]', 1, 1, 0, now())", [sha])


def serving_release_id(env: dict[str, str]) -> str:
    with duckdb.connect(env["CCHC_SERVING"], read_only=True) as con:
        return con.execute("select release_id from meta.release").fetchone()[0]


@pytest.mark.postgres
def test_publish_to_a_missing_postgres_database_fails_at_once_and_a_rerun_without_news_is_skipped(
    tmp_path: Path, airflow_home: Path, airflow: DagTestProcess, postgres_dsn: str
) -> None:
    """publish_marts alone (build and gate marked done): a wrong database name fails on
    the first try, not after 155 s of retries, and moves neither target; the same run
    against the right database publishes; a run with nothing new skips build, gate and
    publish, with rebuild=true it publishes."""
    import time

    import psycopg2

    from ingest.publish import publish_release
    from ingest.settings import Settings

    landing = copy_landing(tmp_path / "landing", months=[])
    env = airflow_env(tmp_path, landing, AIRFLOW_HOME=str(airflow_home))
    settings = Settings(warehouse=Path(env["CCHC_WAREHOUSE"]), serving=Path(env["CCHC_SERVING"]),
                        dbt_project_dir=tmp_path / "dbt", postgres_dsn=postgres_dsn)
    warehouse_with_marts(settings.warehouse, ["a"])
    publish_release(settings, release_id="r1")
    warehouse_with_marts(settings.warehouse, ["a", "b"])
    only_publish = {"dag_id": "cchc_transform_publish",
                    "mark_success_pattern": "^(build_models|validate_warehouse)$"}

    wrong = {**env, "CCHC_POSTGRES_DSN": postgres_dsn.rpartition("/")[0] + "/cchc_no_such_db"}
    started = time.monotonic()
    failed = airflow.test(wrong, logical_date="2021-01-01", **only_publish)
    assert failed["state"] == "failed"
    assert time.monotonic() - started < 90  # one try (the old policy retried for 155 s)
    assert ("publish_marts", "failed", 1) in task_tries(airflow_home, failed["run_id"])
    assert 'database "cchc_no_such_db" does not exist' in failed["output"]
    assert "DuckDB serving stays on release r1" in failed["output"]
    assert serving_release_id(env) == "r1"
    with psycopg2.connect(postgres_dsn) as pg, pg.cursor() as cur:
        cur.execute("select release_id from meta.current_release")
        assert cur.fetchone() == ("r1",)

    right = {**env, "CCHC_POSTGRES_DSN": postgres_dsn}
    published = airflow.test(right, logical_date="2021-01-02", **only_publish)
    assert published["state"] == "success", published["output"][-3000:]
    assert serving_release_id(env) == published["run_id"]

    unchanged = airflow.test(right, logical_date="2021-01-03", **only_publish)
    assert unchanged["state"] == "success"
    assert task_tries(airflow_home, unchanged["run_id"]) == [  # nothing built, nothing published
        ("build_models", "skipped", 0), ("check_for_news", "success", 1),
        ("publish_marts", "skipped", 0), ("validate_warehouse", "skipped", 0)]
    assert serving_release_id(env) == published["run_id"]

    rebuilt = airflow.test(right, logical_date="2021-01-04", run_conf={"rebuild": True}, **only_publish)
    assert ("publish_marts", "success", 1) in task_tries(airflow_home, rebuilt["run_id"])
    assert serving_release_id(env) == rebuilt["run_id"]
