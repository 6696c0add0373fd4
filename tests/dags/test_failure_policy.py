"""What is retried, what fails at once, and the failure alert (without running a DAG;
tests/e2e/test_orchestration_failures.py runs the same through `dag.test()`)."""

from __future__ import annotations

import importlib
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pendulum
import pytest
from airflow.sdk.exceptions import AirflowFailException

from tests.conftest import REPO_ROOT
from tests.dags.airflow_harness import free_port, webhook_receiver

sys.path.insert(0, str(REPO_ROOT / "dags"))
import cchc_common  # noqa: E402  (a DAG-folder module, as the DAG processor imports it)


def lock_error(tmp_path: Path) -> duckdb.IOException:
    """The real error when another process holds the warehouse."""
    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
         "print('ok', flush=True); sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(duckdb.IOException, match="Could not set lock on file") as caught:
            duckdb.connect(str(path))
        return caught.value
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_bad_data_fails_fast_and_transient_errors_are_retried(tmp_path: Path) -> None:
    from expectations.runner import GateFailed
    from ingest.exports import ExportError
    from ingest.reports import ReportError
    from ingest.transform import TransformError

    assert cchc_common.classify_failure(ReportError("x.txt: not a CCHC report")) == cchc_common.BAD_DATA
    assert cchc_common.classify_failure(ExportError("x.xlsx: unreadable XLSX")) == cchc_common.BAD_DATA
    assert cchc_common.classify_failure(GateFailed("due_not_before_received")) == cchc_common.BAD_DATA
    assert cchc_common.classify_failure(lock_error(tmp_path)) == cchc_common.TRANSIENT
    assert cchc_common.classify_failure(FileNotFoundError("landing/x.csv")) == cchc_common.TRANSIENT
    assert cchc_common.classify_failure(TransformError("dbt build failed")) == cchc_common.UNKNOWN
    assert cchc_common.classify_failure(KeyError("bug")) == cchc_common.UNKNOWN


def test_permanent_publish_errors_fail_at_once_and_others_keep_their_retries() -> None:
    from airflow.sdk.exceptions import AirflowSkipException

    from ingest.publish import PermanentPublishError, PublishError

    permanent = PermanentPublishError('Postgres publish to postgresql://x/db failed (release r2): '
                                      'database "db" does not exist; DuckDB serving stays on release r1')
    assert cchc_common.classify_failure(permanent) == cchc_common.PERMANENT
    assert cchc_common.classify_failure(PublishError("Connection refused")) == cchc_common.UNKNOWN
    with pytest.raises(AirflowFailException, match="PermanentPublishError: Postgres publish to"):
        with cchc_common.no_retry_on_bad_data():
            raise permanent
    with pytest.raises(PublishError), cchc_common.no_retry_on_bad_data():
        raise PublishError("Connection refused")
    with pytest.raises(AirflowSkipException), cchc_common.no_retry_on_bad_data():
        raise AirflowSkipException("nothing new to publish")


def test_no_retry_on_bad_data_wraps_only_bad_data(tmp_path: Path) -> None:
    from ingest.reports import ReportError

    with pytest.raises(AirflowFailException, match="ReportError: not a report") as caught:
        with cchc_common.no_retry_on_bad_data():
            raise ReportError("not a report")
    assert isinstance(caught.value.__cause__, ReportError)
    error = lock_error(tmp_path)
    with pytest.raises(duckdb.IOException):  # unchanged: Airflow's retries apply
        with cchc_common.no_retry_on_bad_data():
            raise error


def test_every_task_alerts_on_failure() -> None:
    assert cchc_common.DEFAULT_ARGS["on_failure_callback"] is cchc_common.alert_on_failure
    assert cchc_common.DEFAULT_ARGS["retries"] >= 1 and cchc_common.DEFAULT_ARGS["retry_exponential_backoff"]


def context(exc: BaseException) -> dict:
    ti = SimpleNamespace(dag_id="cchc_monthly_exports", task_id="load_exports", run_id="manual__x",
                         try_number=1, max_tries=2, log_url="http://airflow:8080/dags/cchc_monthly_exports")
    return {"ti": ti, "exception": exc,
            "data_interval_start": pendulum.datetime(2020, 3, 1, tz="UTC"),
            "data_interval_end": pendulum.datetime(2020, 4, 1, tz="UTC")}


def test_summary_names_the_cause_of_a_wrapped_error() -> None:
    from ingest.exports import ExportError

    try:
        with cchc_common.no_retry_on_bad_data():
            raise ExportError("landing/exports/A/2020-03/x.xlsx: unreadable XLSX")
    except AirflowFailException as exc:
        payload = cchc_common.failure_summary(context(exc))
    assert payload["exception_type"] == "ExportError" and payload["failure_kind"] == "bad_data"
    assert payload["data_interval_start"] == "2020-03-01T00:00:00+00:00"
    assert payload["summary"] == (
        "CCHC task failed: cchc_monthly_exports.load_exports in run manual__x (data interval "
        "2020-03-01T00:00:00+00:00 to 2020-04-01T00:00:00+00:00) raised ExportError: "
        "landing/exports/A/2020-03/x.xlsx: unreadable XLSX on try 1 (bad_data error, not retried). "
        "Log: http://airflow:8080/dags/cchc_monthly_exports"
    )


@pytest.mark.parametrize(
    ("fields", "url"),
    [
        ({"conn_type": "http", "host": "https://hooks.example.org/cchc"}, "https://hooks.example.org/cchc"),
        ({"conn_type": "http", "host": "hooks.example.org", "schema": "https"}, "https://hooks.example.org"),
        # AIRFLOW_CONN_CCHC_ALERTS_WEBHOOK='http://127.0.0.1:9000/alerts': path lands in schema
        ({"conn_type": "http", "host": "127.0.0.1", "port": 9000, "schema": "alerts"},
         "http://127.0.0.1:9000/alerts"),
    ],
)
def test_webhook_url_from_connection(fields: dict, url: str) -> None:
    from airflow.sdk import Connection

    assert cchc_common.webhook_url_from_connection(Connection(conn_id="cchc_alerts_webhook", **fields)) == url


def test_connection_uri_form_round_trips() -> None:
    from airflow.sdk import Connection

    conn = Connection.from_uri("http://127.0.0.1:9000/alerts", conn_id="cchc_alerts_webhook")
    assert cchc_common.webhook_url_from_connection(conn) == "http://127.0.0.1:9000/alerts"


def test_post_alert_never_raises() -> None:
    with webhook_receiver() as (url, received):
        assert cchc_common.post_alert(url, {"summary": "ok"}) is True
    assert received[0]["json"] == {"summary": "ok"}
    with webhook_receiver(status=500) as (url, _):
        assert cchc_common.post_alert(url, {"summary": "x"}) is False
    assert cchc_common.post_alert(f"http://127.0.0.1:{free_port()}/nothing", {}, timeout=2) is False
    assert cchc_common.post_alert("not a url", {}) is False


def test_alert_callback_swallows_its_own_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> str:
        raise RuntimeError("secrets backend down")

    monkeypatch.setattr(cchc_common, "alerts_webhook_url", broken)
    cchc_common.alert_on_failure(context(ValueError("x")))  # logs, does not raise
    cchc_common.alert_on_failure({})  # even with an empty context


def test_parsing_opens_no_network_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args, **kwargs):
        raise AssertionError("network access at parse time")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    importlib.reload(cchc_common)
    from airflow.dag_processing.dagbag import BundleDagBag

    bag = BundleDagBag(dag_folder=str(REPO_ROOT / "dags"), bundle_path=REPO_ROOT / "dags")
    assert bag.import_errors == {} and len(bag.dag_ids) == 3
