"""Shared wiring for the CCHC DAGs: assets, the writer pool, default arguments, the
failure policy (what is retried) and the failure alert.

Kept free of heavy imports and of any I/O at import time: the DAG processor parses this
on every loop. Everything that touches the network or the project's packages happens
inside functions that run in a task (or its failure callback).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from airflow.sdk import Asset

log = logging.getLogger(__name__)

# Every task that writes the DuckDB warehouse runs in this pool (size 1): DuckDB
# allows one writer per file, so parallel runs queue instead of crashing.
WAREHOUSE_WRITER_POOL = "duckdb_writer"

RAW_REPORTS = Asset(name="cchc_raw_reports", uri="cchc://warehouse/raw/report_figures")
RAW_EXPORTS = Asset(name="cchc_raw_exports", uri="cchc://warehouse/raw/export_dossiers")
PUBLISHED_MARTS = Asset(name="cchc_published_marts", uri="cchc://serving/marts")

# A Postgres warehouse for BI may be an Airflow connection instead of CCHC_POSTGRES_DSN.
POSTGRES_WAREHOUSE_CONN_ID = "cchc_postgres"

# Where failure alerts go (both optional; the connection wins when both are set).
ALERTS_WEBHOOK_CONN_ID = "cchc_alerts_webhook"
ALERTS_WEBHOOK_VARIABLE = "cchc_alerts_webhook_url"
ALERTS_WEBHOOK_TIMEOUT_SECONDS = 10



def warehouse_settings():
    """The project's settings (ingest/settings.py), with the Postgres warehouse taken from
    the Airflow connection `cchc_postgres` when CCHC_POSTGRES_DSN does not set one."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    from ingest.settings import get_settings

    settings = get_settings()
    if not settings.postgres_dsn:
        try:
            uri = Connection.get(POSTGRES_WAREHOUSE_CONN_ID).get_uri()
        except AirflowNotFoundException:
            return settings
        return settings.model_copy(update={"postgres_dsn": uri.replace("postgres://", "postgresql://", 1)})
    return settings


def is_full_history_run(params: dict | None, triggering_asset_events: Any) -> bool:
    """A transform run tests the whole history (dbt's full_history tests, over whole
    tables) when new reports triggered it (the yearly run), or the param `full_history`
    or `rebuild` (after a change to the models or seeds) is true; a run that only new
    export months triggered does the month's work (ingest.pipeline.dbt_build_args).
    `triggering_asset_events` maps each triggering asset to its events (Airflow 3 task
    context; empty for a manual run)."""
    if (params or {}).get("full_history") or (params or {}).get("rebuild"):
        return True
    return any(asset.uri == RAW_REPORTS.uri for asset in (triggering_asset_events or {}))


# ------------------------------------------------------------------ failure policy
BAD_DATA = "bad_data"    # the input is wrong: retrying cannot help, fail at once
TRANSIENT = "transient"  # a lock or I/O hiccup: retry with backoff
UNKNOWN = "unknown"      # anything else: Airflow's retries apply (a bug or an outage)
PERMANENT = "permanent"  # a setting is wrong (no such database, login refused): fail at once

# The project's "the input is wrong" exceptions, by module: the module is imported only
# if it raised, so classifying never imports Great Expectations or the loaders.
_BAD_DATA_CLASSES = (
    ("ingest.reports.model", "ReportError"),
    ("ingest.exports.reader", "ExportError"),
    ("expectations.runner", "GateFailed"),
)
_PERMANENT_CLASSES = (
    ("ingest.publish", "PermanentPublishError"),
)


def _is_instance(exc: BaseException, classes: tuple[tuple[str, str], ...]) -> bool:
    for module_name, class_name in classes:
        module = sys.modules.get(module_name)
        kind = getattr(module, class_name, None) if module else None
        if kind is not None and isinstance(exc, kind):
            return True
    return False


def classify_failure(exc: BaseException) -> str:
    """BAD_DATA, PERMANENT, TRANSIENT or UNKNOWN for an exception a task raised.

    - bad data: a report that is not a report (ReportError), an unreadable export
      (ExportError), a failed `fail` check of the GX gate (GateFailed);
    - permanent: a publish target that refuses for good (PermanentPublishError: the
      Postgres database or role does not exist, the login is refused);
    - transient: DuckDB I/O errors, above all "Could not set lock on file" when another
      process (an analyst's read-write session, a stray `cchc` run) holds the warehouse,
      and OSError (disk, network filesystem, a file still being copied into landing).
    """
    if _is_instance(exc, _BAD_DATA_CLASSES):
        return BAD_DATA
    if _is_instance(exc, _PERMANENT_CLASSES):
        return PERMANENT
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None and isinstance(exc, duckdb.IOException):
        return TRANSIENT
    if isinstance(exc, OSError):
        return TRANSIENT
    return UNKNOWN


@contextmanager
def no_retry_on_bad_data() -> Iterator[None]:
    """Bad input and permanent errors fail the task at once; transient and unknown errors
    keep their retries. Airflow's own skip and fail pass through."""
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    try:
        yield
    except (AirflowFailException, AirflowSkipException):
        raise
    except Exception as exc:
        kind = classify_failure(exc)
        if kind in (BAD_DATA, PERMANENT):
            raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc
        log.warning("%s error, Airflow will retry if tries are left: %s: %s",
                    kind, type(exc).__name__, exc)
        raise


# ------------------------------------------------------------------ failure alert
def failure_summary(context: dict[str, Any]) -> dict[str, Any]:
    """What an on-call person needs from a failed task, as a JSON-able dict."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    exc = context.get("exception")

    def iso(value: Any) -> str | None:
        return value.isoformat() if hasattr(value, "isoformat") else (str(value) if value else None)

    interval_start = context.get("data_interval_start") or getattr(dag_run, "data_interval_start", None)
    interval_end = context.get("data_interval_end") or getattr(dag_run, "data_interval_end", None)
    if isinstance(exc, BaseException):
        # AirflowFailException wraps the project's error: report the cause, say it wrapped.
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        exc_type, exc_message = type(cause).__name__, str(cause)
        kind = classify_failure(cause)
    else:
        exc_type, exc_message, kind = (None, str(exc) if exc else None, None)
    payload = {
        "event": "cchc_task_failed",
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": getattr(ti, "run_id", None) or getattr(dag_run, "run_id", None),
        "data_interval_start": iso(interval_start),
        "data_interval_end": iso(interval_end),
        "exception_type": exc_type,
        "exception_message": exc_message[:2000] if exc_message else exc_message,
        "failure_kind": kind,
        "try_number": getattr(ti, "try_number", None),
        "max_tries": getattr(ti, "max_tries", None),
        "log_url": _log_url(ti),
    }
    payload["summary"] = (
        f"CCHC task failed: {payload['dag_id']}.{payload['task_id']} in run {payload['run_id']} "
        f"(data interval {payload['data_interval_start']} to {payload['data_interval_end']}) "
        f"raised {payload['exception_type']}: {payload['exception_message']} "
        f"on try {payload['try_number']} ({kind or 'unclassified'} error"
        f"{', not retried' if kind in (BAD_DATA, PERMANENT) else ''}). Log: {payload['log_url']}"
    )
    return payload


def _log_url(ti: Any) -> str | None:
    try:
        return ti.log_url if ti is not None else None
    except Exception:  # a missing [api] base_url must never break the alert
        return None


def alerts_webhook_url() -> str | None:
    """The webhook URL from connection `cchc_alerts_webhook`, else variable
    `cchc_alerts_webhook_url`; None when neither is configured (alerts are only logged)."""
    from airflow.sdk import Connection, Variable

    try:
        conn = Connection.get(ALERTS_WEBHOOK_CONN_ID)
    except Exception:  # AirflowNotFoundException, or no API in a bare process
        conn = None
    if conn is not None and conn.host:
        return webhook_url_from_connection(conn)
    try:
        url = Variable.get(ALERTS_WEBHOOK_VARIABLE, default=None)
    except Exception:
        url = None
    return url.strip() if url and url.strip() else None


def webhook_url_from_connection(conn: Any) -> str:
    """URL from an HTTP-style connection.

    Accepted: host holding the whole URL (``https://hooks.example.org/cchc``); or host
    plus schema as the protocol (``http``/``https``, as Airflow's HTTP connections use
    it); or the URI form ``AIRFLOW_CONN_CCHC_ALERTS_WEBHOOK='https://host:port/path'``,
    where Airflow puts the path in schema and the protocol in conn_type.
    """
    host = conn.host.strip()
    if "://" in host:
        return host
    schema = (conn.schema or "").strip()
    if schema in ("http", "https"):
        scheme, path = schema, ""
    else:
        scheme = conn.conn_type if conn.conn_type in ("http", "https") else "https"
        path = f"/{schema.lstrip('/')}" if schema else ""
    port = f":{conn.port}" if conn.port else ""
    return f"{scheme}://{host}{port}{path}"


def post_alert(url: str, payload: dict[str, Any], timeout: float = ALERTS_WEBHOOK_TIMEOUT_SECONDS) -> bool:
    """POST the payload as JSON; True on a 2xx answer. Never raises."""
    import urllib.request

    try:
        request = urllib.request.Request(
            url,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json", "User-Agent": "cchc-airflow-alerts"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URL)
            status = response.status
    except Exception as exc:  # bad URLs, HTTPError, URLError, timeouts
        log.warning("CCHC alert webhook %s failed: %s: %s", url, type(exc).__name__, exc)
        return False
    ok = 200 <= status < 300
    if not ok:
        log.warning("CCHC alert webhook %s answered HTTP %s", url, status)
    return ok


def alert_on_failure(context: dict[str, Any]) -> None:
    """on_failure_callback: log the summary; post it to the webhook when one is configured.

    Runs after the task has already failed; nothing here may raise (a broken webhook
    must never hide the real failure or change the task's state).
    """
    try:
        payload = failure_summary(context)
        log.error("%s", payload["summary"])
        url = alerts_webhook_url()
        if url:
            sent = post_alert(url, payload)
            log.info("CCHC alert %s to the webhook", "posted" if sent else "NOT posted")
    except Exception:
        log.exception("CCHC failure alert could not be built or sent")


DEFAULT_ARGS = {
    "owner": "cchc-data",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "pool": WAREHOUSE_WRITER_POOL,
    "on_failure_callback": alert_on_failure,
}
