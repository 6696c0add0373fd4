"""Fingerprints of a published release: every mart, the gate's results and the
dashboard's numbers, so a refactoring of the models can prove it changed nothing.

    python -m tests.dbt.baseline SERVING.duckdb OUT.json   # record
    fingerprint_differences(recorded, SERVING.duckdb)     # compare (tests)

A mart is fingerprinted over the columns recorded for it: a column added later does not
change it, a column removed or a value changed does. Rows are normalised as in the
cross-engine tests (tests/dbt/marts.py), so the fingerprint does not depend on order.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import duckdb

from tests.dbt.marts import duckdb_marts

BASELINES = Path(__file__).with_name("fixtures")
# Where the landing folder happens to be: not part of what a mart says.
LOCATION_COLUMNS = {"source_file"}
# Differences made on purpose since the recording, each with its reason; nothing else
# may differ. The fixtures were recorded again at issue 16 (names with diacritics, period
# coverage, the register in words, the dashboard on one definition of year) and at issue
# 17 (the sample gained 2025-04..09; agencies through the 2025 reorganisation; at scale
# 1.0 only dim_agencies and the dashboard's agency chart changed): list here what a later
# change alters on purpose.
# Columns renamed since the recording: (table, recorded name) -> name now.
RENAMED_COLUMNS: dict[tuple[str, str], str] = {}
# Checks that left the gate (e.g. for a dbt test), as (suite, check).
CHECKS_MOVED_TO_DBT: set[tuple[str, str]] = set()
# Columns whose values changed on purpose, as (table, column).
CHANGED_COLUMNS: set[tuple[str, str]] = set()
# The dashboard is fingerprinted in English (its default is Vietnamese): its numbers are
# compared, not its words.
# Kept out of the trace data hashed for the dashboard: presentation, not numbers.
TRACE_KEYS = ("x", "y", "values", "labels", "customdata", "base")

GATE_SQL = """
select suite, check_name, severity, success, unexpected_count
from audit.check_results
where run_id = (select gx_run_name from meta.release)
order by suite, check_name
"""


def _digest(rows: list) -> str:
    return hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()


def _round(value: object) -> object:
    if isinstance(value, float):
        rounded = round(value, 6)
        return int(rounded) if rounded.is_integer() else rounded
    if isinstance(value, list):
        return [_round(item) for item in value]
    if isinstance(value, dict):
        return {key: _round(item) for key, item in value.items()}
    return value


def mart_fingerprints(serving: Path, columns_of: dict[str, list[str]] | None = None) -> dict:
    """table -> {columns, rows, sha256}; over `columns_of[table]` when given (less the
    columns changed on purpose: a recording's hash is then over the same columns)."""
    found = {}
    for table, (columns, rows) in duckdb_marts(serving).items():
        wanted = (columns_of or {}).get(table, [c for c in columns if c not in LOCATION_COLUMNS])
        wanted = [c for c in wanted if (table, c) not in CHANGED_COLUMNS]
        if not {RENAMED_COLUMNS.get((table, column), column) for column in wanted} <= set(columns):
            found[table] = {"columns": columns, "rows": len(rows), "sha256": "columns missing"}
            continue
        index = [columns.index(RENAMED_COLUMNS.get((table, column), column)) for column in wanted]
        projected = sorted((tuple(row[i] for i in index) for row in rows), key=repr)
        found[table] = {"columns": wanted, "rows": len(rows), "sha256": _digest(projected)}
    return found


def gate_fingerprint(serving: Path) -> list:
    with duckdb.connect(str(serving), read_only=True) as con:
        return [list(row) for row in con.execute(GATE_SQL).fetchall()]


def dashboard_fingerprint(serving: Path) -> dict:
    """The numbers of the year-at-a-glance tiles and of every chart's traces."""
    from ingest import dashboard

    with dashboard.open_release(serving) as con:
        glance, charts = dashboard.page_content(con, lang="en")
    numbers = {"glance": _round({k: v for k, v in (glance or {}).items()
                                 if isinstance(v, int | float) and not isinstance(v, bool)})}
    for chart in charts:
        traces = json.loads(chart.figure.to_json())["data"]
        numbers[chart.anchor] = _digest(_round([{k: t.get(k) for k in TRACE_KEYS} for t in traces]))
    return numbers


def release_fingerprint(serving: Path, recorded: dict | None = None) -> dict:
    columns_of = {table: spec["columns"] for table, spec in (recorded or {}).get("marts", {}).items()}
    return {
        "marts": mart_fingerprints(serving, columns_of),
        "gate": gate_fingerprint(serving),
        "dashboard": dashboard_fingerprint(serving),
    }


def fingerprint_differences(recorded: dict, serving: Path) -> list[str]:
    """What differs from the recorded fingerprint (empty when nothing does). A mart new
    since the recording is no difference; a recorded one missing is."""
    now = release_fingerprint(serving, recorded)
    found = []
    for table, spec in recorded["marts"].items():
        if now["marts"].get(table) != spec:
            found.append(f"mart {table}: recorded {spec}, now {now['marts'].get(table)}")
    kept = [row for row in recorded["gate"] if (row[0], row[1]) not in CHECKS_MOVED_TO_DBT]
    if now["gate"] != kept:
        changed = [row for row in now["gate"] if row not in kept]
        gone = [row for row in kept if row not in now["gate"]]
        found.append(f"gate results: new {changed}, gone {gone}")
    for key, value in recorded["dashboard"].items():
        if now["dashboard"].get(key) != value:
            found.append(f"dashboard {key}: recorded {value}, now {now['dashboard'].get(key)}")
    return found


def main(argv: list[str]) -> int:
    serving, out = Path(argv[0]), Path(argv[1])
    out.write_text(json.dumps(release_fingerprint(serving), indent=1, sort_keys=True) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
