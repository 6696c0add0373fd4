"""How a check's outcome is summarised (observed text, metrics, register rows), shared by
the GX runner and the GX-free `cchc check-report`; imports neither GX nor pandas."""

from __future__ import annotations

import json

REGISTER_COLUMNS = ("report_id", "metrics", "expected", "observed", "difference", "tolerance", "source_lines")


def observed(result: dict) -> str:
    keys = ("observed_value", "unexpected_count", "unexpected_percent", "partial_unexpected_list",
            "details")
    shown = {k: result[k] for k in keys if result.get(k) not in (None, [], {})}
    return json.dumps(shown, default=str, ensure_ascii=False)[:2000]


def offending_rows(details: dict) -> list[dict]:
    rows = (details.get("details") or {}).get("unexpected_rows") or []
    return [row for row in rows if isinstance(row, dict)]


def metrics_in(details: dict) -> list[str]:
    metrics: set[str] = set()
    for row in offending_rows(details):
        listed = row.get("metrics") or row.get("metric_id") or ""
        metrics.update(code for code in str(listed).split(",") if code)
    return sorted(metrics)


def findings(details: dict) -> list[dict]:
    """Offending rows in the register's shape (queries that return expected/observed)."""
    return [
        {column: row.get(column) for column in REGISTER_COLUMNS}
        for row in offending_rows(details)
        if "expected" in row and "observed" in row
    ]
