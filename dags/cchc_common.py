"""Shared wiring for the CCHC DAGs: assets, the writer pool and default arguments.

Kept free of heavy imports: the DAG processor parses this on every loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from airflow.sdk import Asset

# Every task that writes the DuckDB warehouse runs in this pool (size 1): DuckDB
# allows one writer per file, so parallel runs queue instead of crashing.
WAREHOUSE_WRITER_POOL = "duckdb_writer"

RAW_REPORTS = Asset(name="cchc_raw_reports", uri="cchc://warehouse/raw/report_figures")
RAW_EXPORTS = Asset(name="cchc_raw_exports", uri="cchc://warehouse/raw/export_dossiers")
PUBLISHED_MARTS = Asset(name="cchc_published_marts", uri="cchc://serving/marts")

DEFAULT_ARGS = {
    "owner": "cchc-data",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "pool": WAREHOUSE_WRITER_POOL,
}


@contextmanager
def no_retry_on_bad_data() -> Iterator[None]:
    """Bad input fails the task at once; only transient errors (I/O, locks) are retried."""
    from airflow.sdk.exceptions import AirflowFailException

    from expectations.runner import GateFailed
    from ingest.exports import ExportError
    from ingest.reports import ReportError

    try:
        yield
    except (ReportError, ExportError, GateFailed) as exc:
        raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc
