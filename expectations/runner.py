"""Run every suite against the built marts, store the results, and gate publishing.

Usage: `python -m expectations.runner [--run-id ID]` (prints a JSON summary).

GX is not imported here: the checks are validated in a child process
(expectations/validate.py), so the caller (a pipeline task, the CLI) never pays GX's
import, and the results are written back from here.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from expectations.results import REGISTER_COLUMNS
from expectations.suites import SUITES
from ingest.settings import Settings, get_settings
from ingest.warehouse import connect

log = logging.getLogger(__name__)

MARTS_SCHEMA = "marts"
RESULTS_TABLE = "audit.check_results"
REGISTER_TABLE = "audit.discrepancy_register"
GATE_RUNS_TABLE = "audit.gate_runs"  # one row per gate run: its GX run identifier and counts


@dataclass(frozen=True)
class CheckResult:
    suite: str
    check: str
    severity: str
    success: bool
    unexpected_count: int | None
    observed: str
    why: str
    expected: str
    metrics: str  # JSON list of the metric codes in the offending rows, when known
    findings: str = "[]"  # JSON list of register rows (report checks), see REGISTER_COLUMNS


class GateFailed(RuntimeError):
    """A `fail` check failed: publishing must not happen."""


@dataclass
class CheckSummary:
    run_id: str  # also the GX run name (with gx_run_time, GX's run identifier)
    gx_run_time: datetime | None = None
    results: list[CheckResult] = field(default_factory=list)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == "fail"]

    @property
    def warned(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == "warn"]

    def to_json(self) -> dict:
        return {
            "run_id": self.run_id,
            "checks": len(self.results),
            "passed": sum(r.success for r in self.results),
            "failed": [f"{r.suite}.{r.check}" for r in self.failed],
            "warnings": [f"{r.suite}.{r.check}" for r in self.warned],
        }

    def raise_for_failures(self) -> CheckSummary:
        if self.failed:
            names = ", ".join(
                f"{r.suite}.{r.check} ({r.unexpected_count} unexpected)"
                if r.unexpected_count is not None else f"{r.suite}.{r.check} ({r.observed[:200]})"
                for r in self.failed
            )
            raise GateFailed(
                f"{len(self.failed)} fail-severity check(s) failed, publishing blocked: {names}. "
                f"The previous release stays published; details: "
                f"select * from {RESULTS_TABLE} where run_id = '{self.run_id}'"
            )
        return self


def data_docs_index(settings: Settings) -> Path:
    return settings.gx_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


def run_checks(
    settings: Settings | None = None,
    run_id: str = "manual",
    suites: tuple = SUITES,
    store: bool = True,
) -> CheckSummary:
    """Validate each suite's table; results go to audit.check_results (replacing this run's).

    GX runs in a child process (expectations/validate.py): it keeps its DuckDB connection
    open for the life of the process, so the results could not be written back from there.
    """
    settings = settings or get_settings()
    env = {**os.environ, **settings.to_env()}
    suite_names = ",".join(module.TABLE for module in suites)
    gx_run_time = datetime.now(UTC).replace(microsecond=0)
    proc = subprocess.run(
        [sys.executable, "-m", "expectations.validate", suite_names,
         "--run-id", run_id, "--run-time", gx_run_time.isoformat()],
        env=env, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"Great Expectations could not run the suites {suite_names}:\n"
                           f"{proc.stderr[-3000:]}")
    summary = CheckSummary(run_id=run_id, gx_run_time=gx_run_time.replace(tzinfo=None),
                           results=[CheckResult(**row) for row in json.loads(proc.stdout)])
    if store and settings.dbt_target == "duckdb":
        store_results(settings, summary)
    log.info("checks: %s", summary.to_json())
    return summary


def store_results(settings: Settings, summary: CheckSummary) -> None:
    """Replace this run's rows in audit.check_results and audit.discrepancy_register."""
    results = [(summary.run_id, *(getattr(r, f) for f in _RESULT_FIELDS)) for r in summary.results]
    findings = [
        (summary.run_id, r.suite, r.check, r.severity, *(row.get(c) for c in REGISTER_COLUMNS), r.why)
        for r in summary.results
        for row in json.loads(r.findings)
    ]
    with connect(settings.warehouse, config=settings.duckdb_config) as con:
        con.execute("create schema if not exists audit")
        con.execute(f"""create table if not exists {RESULTS_TABLE} (
            run_id varchar, suite varchar, check_name varchar, severity varchar,
            success boolean, unexpected_count bigint, observed varchar, why varchar,
            expected varchar, metrics varchar)""")
        con.execute(f"""create table if not exists {REGISTER_TABLE} (
            run_id varchar, suite varchar, check_name varchar, severity varchar,
            report_id varchar, metrics varchar, expected double, observed double,
            difference double, tolerance double, source_lines varchar, message varchar)""")
        con.execute(f"""create table if not exists {GATE_RUNS_TABLE} (
            run_id varchar, gx_run_name varchar, gx_run_time timestamp, checks integer,
            passed integer, failed integer, warned integer)""")
        con.execute("begin transaction")
        for table in (RESULTS_TABLE, REGISTER_TABLE, GATE_RUNS_TABLE):
            con.execute(f"delete from {table} where run_id = ?", [summary.run_id])
        con.execute(f"insert into {GATE_RUNS_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
                    [summary.run_id, summary.run_id, summary.gx_run_time, len(summary.results),
                     sum(r.success for r in summary.results), len(summary.failed), len(summary.warned)])
        _insert_rows(con, RESULTS_TABLE, results)
        _insert_rows(con, REGISTER_TABLE, findings)
        con.execute("commit")


def _insert_rows(con, table: str, rows: list[tuple], rows_per_statement: int = 500) -> None:
    """Insert rows with one multi-row statement per batch: DuckDB's executemany runs one
    statement per row (a tenth of a second for a gate's three dozen results)."""
    for start in range(0, len(rows), rows_per_statement):
        batch = rows[start:start + rows_per_statement]
        row = f"({', '.join('?' * len(batch[0]))})"
        con.execute(f"insert into {table} values {', '.join([row] * len(batch))}",
                    [value for values in batch for value in values])


_RESULT_FIELDS = ("suite", "check", "severity", "success", "unexpected_count", "observed", "why",
                  "expected", "metrics")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run-id", default="manual")
    args = parser.parse_args()
    summary = run_checks(run_id=args.run_id)
    print(json.dumps(summary.to_json(), indent=2, ensure_ascii=False))
    raise SystemExit(1 if summary.failed else 0)


if __name__ == "__main__":
    main()
