"""Failures through the real DAGs (`dag.test()` in a subprocess, SQLite metadata DB):
bad data fails once and alerts the webhook; a locked warehouse is retried and recovers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pytest

from tests.dags.airflow_harness import (
    airflow_env,
    copy_landing,
    dag_test,
    run_airflow,
    sample_rows_per_agency_month,
    webhook_receiver,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite metadata DB for the module (each test has its own folders)."""
    home = tmp_path_factory.mktemp("airflow_home")
    env = airflow_env(home, home, AIRFLOW_HOME=str(home))
    run_airflow(["db", "migrate"], env)
    return home


def task_tries(home: Path, run_id: str) -> list[tuple]:
    with sqlite3.connect(home / "airflow.db") as con:
        return con.execute(
            "select task_id, state, try_number from task_instance where run_id = ? order by task_id",
            [run_id],
        ).fetchall()


def test_bad_report_fails_at_once_and_posts_one_alert(tmp_path: Path, airflow_home: Path) -> None:
    landing = copy_landing(tmp_path / "landing", months=[])
    junk = landing / "reports" / "khanh-hoa" / "2020" / "not_a_report.txt"
    junk.parent.mkdir(parents=True)
    junk.write_text("Danh sach can bo di cong tac thang 3\n", encoding="utf-8")

    with webhook_receiver() as (url, received):
        env = airflow_env(tmp_path, landing, AIRFLOW_HOME=str(airflow_home),
                          AIRFLOW_VAR_CCHC_ALERTS_WEBHOOK_URL=url)
        result = dag_test(env, dag_id="cchc_yearly_reports", logical_date="2021-01-01")

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


def test_locked_warehouse_is_retried_and_the_run_recovers(tmp_path: Path, airflow_home: Path) -> None:
    """Another process holds the DuckDB file on the first try ("Could not set lock on
    file"): a transient error, so Airflow retries; the lock is gone on the second try."""
    month = "2020-02"
    landing = copy_landing(tmp_path / "landing", months=[month])
    with webhook_receiver() as (url, received):
        env = airflow_env(tmp_path, landing, AIRFLOW_HOME=str(airflow_home),
                          AIRFLOW_VAR_CCHC_ALERTS_WEBHOOK_URL=url)
        result = dag_test(env, dag_id="cchc_monthly_exports", logical_date="2020-03-01",
                          lock_warehouse=True, fast_retries=True)

    assert "Could not set lock on file" in result["output"]
    assert result["state"] == "success", result["output"][-4000:]
    assert task_tries(airflow_home, result["run_id"]) == [("load_exports", "success", 2)]
    assert received == [], "a retried transient error must not alert"
    with duckdb.connect(env["CCHC_WAREHOUSE"], read_only=True) as con:
        loaded = con.execute(
            "select count(*) from (select source_row from raw.export_dossiers "
            "union all select source_row from raw.export_quarantine)"
        ).fetchone()[0]
    assert loaded == sum(sample_rows_per_agency_month([month]).values())


def test_broken_webhook_does_not_change_the_failure(tmp_path: Path, airflow_home: Path) -> None:
    """The webhook answers 500: the task still fails once with the real error, nothing else."""
    landing = copy_landing(tmp_path / "landing", months=[])
    bad = landing / "exports" / "000.00.02.H34" / "2020-04" / "export.xlsx"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"this is not a spreadsheet")
    with webhook_receiver(status=500) as (url, received):
        env = airflow_env(tmp_path, landing, AIRFLOW_HOME=str(airflow_home),
                          AIRFLOW_VAR_CCHC_ALERTS_WEBHOOK_URL=url)
        result = dag_test(env, dag_id="cchc_monthly_exports", logical_date="2020-05-01")
    assert result["state"] == "failed"
    assert task_tries(airflow_home, result["run_id"]) == [("load_exports", "failed", 1)]
    assert len(received) == 1 and received[0]["json"]["exception_type"] == "ExportError"
    assert "answered HTTP 500" in result["output"] or "HTTPError" in result["output"]
