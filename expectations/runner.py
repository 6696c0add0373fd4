"""Run every suite against the built marts, store the results, and gate publishing.

Usage: `python -m expectations.runner [--run-id ID]` (prints a JSON summary).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import sqlalchemy
from great_expectations.execution_engine import sqlalchemy_execution_engine as gx_sql_engine

from expectations.suites import SUITES
from ingest.settings import Settings, get_settings

log = logging.getLogger(__name__)

MARTS_SCHEMA = "marts"
RESULTS_TABLE = "audit.check_results"
GX_SEVERITY = {"fail": "critical", "warn": "warning"}


class _DuckDBDialect(str):
    """Stands in for a GXSqlDialect member: GX only reads `.value` and compares by name."""

    value = "duckdb"


# GX closes its SQLAlchemy connection before reading query results and DuckDB drops
# them, so checks silently fail (GX issue #11579). Persisting the connection for the
# duckdb dialect, as GX does for SQLite, makes results correct; tests prove both ways.
if "duckdb" not in gx_sql_engine._PERSISTED_CONNECTION_DIALECTS:
    gx_sql_engine._PERSISTED_CONNECTION_DIALECTS = (
        *gx_sql_engine._PERSISTED_CONNECTION_DIALECTS,
        _DuckDBDialect("duckdb"),
    )


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


class GateFailed(RuntimeError):
    """A `fail` check failed: publishing must not happen."""


@dataclass
class CheckSummary:
    run_id: str
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


def _observed(result: dict) -> str:
    keys = ("observed_value", "unexpected_count", "unexpected_percent", "partial_unexpected_list",
            "details")
    shown = {k: result[k] for k in keys if result.get(k) not in (None, [], {})}
    return json.dumps(shown, default=str, ensure_ascii=False)[:2000]


def _raised_exception(info: dict) -> str | None:
    """GX reports errors either flat or keyed by metric; either way, return the message."""
    if info.get("raised_exception"):
        return str(info.get("exception_message"))[:500]
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))[:500]
    return None


def _metrics_in(details: dict) -> list[str]:
    rows = (details.get("details") or {}).get("unexpected_rows") or []
    return sorted({row["metric_id"] for row in rows if isinstance(row, dict) and "metric_id" in row})


def _connection_string(settings: Settings) -> str:
    if settings.dbt_target == "postgres":
        if not settings.postgres_dsn:
            raise ValueError("dbt_target is postgres but CCHC_POSTGRES_DSN is not set")
        return settings.postgres_dsn.replace("postgresql://", "postgresql+psycopg2://", 1)
    return f"duckdb:///{settings.warehouse.resolve()}"


def validate_suites(settings: Settings, suite_names: list[str]) -> list[CheckResult]:
    """Run the named suites with GX in this process and return one result per check."""
    suites = [module for module in SUITES if module.TABLE in suite_names]
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(name="warehouse", connection_string=_connection_string(settings))
    if settings.dbt_target == "duckdb":
        # GX's column reflection ignores the asset's schema on DuckDB; the search path on
        # the (persisted) connection makes the unqualified names resolve to the marts.
        with source.get_execution_engine().get_connection() as connection:
            connection.execute(sqlalchemy.text(f"set search_path = '{MARTS_SCHEMA},main'"))
    results: list[CheckResult] = []
    for suite_module in suites:
        asset = source.add_table_asset(
            name=suite_module.TABLE, table_name=suite_module.TABLE, schema_name=MARTS_SCHEMA
        )
        batch = asset.add_batch_definition_whole_table("whole_table")
        checks = suite_module.checks()
        # Row-query checks report their offending rows (GX caps them; they name the
        # metrics for the register); column checks keep the summary, which never lists
        # every bad row of a large table.
        groups = {
            "SUMMARY": [c for c in checks if not isinstance(c.expectation, gxe.UnexpectedRowsExpectation)],
            "COMPLETE": [c for c in checks if isinstance(c.expectation, gxe.UnexpectedRowsExpectation)],
        }
        for result_format, group in groups.items():
            if group:
                results += _validate_group(context, batch, suite_module.TABLE, group, result_format)
    return results


def _validate_group(context, batch, table: str, checks: list, result_format: str) -> list[CheckResult]:
    by_name = {check.name: check for check in checks}
    suite = context.suites.add(gx.ExpectationSuite(name=f"{table}.{result_format.lower()}"))
    for check in checks:
        expectation = check.expectation
        expectation.meta = {"check": check.name, "severity": check.severity, "why": check.why}
        expectation.severity = GX_SEVERITY[check.severity]
        suite.add_expectation(expectation)
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=suite)
    )
    results = []
    for result in validation.run(result_format=result_format).results:
        check = by_name[result.expectation_config.meta["check"]]
        details = result.result or {}
        error = _raised_exception(result.exception_info or {})
        if error:
            details = {"observed_value": f"error: {error}"}
        observed_count = details.get("observed_value")
        results.append(CheckResult(
            suite=table,
            check=check.name,
            severity=check.severity,
            success=bool(result.success),
            unexpected_count=details.get(
                "unexpected_count", observed_count if isinstance(observed_count, int) else None
            ),
            observed=_observed(details),
            why=check.why,
            expected=result.expectation_config.description or result.expectation_config.type,
            metrics=json.dumps(_metrics_in(details)),
        ))
    return results


def run_checks(
    settings: Settings | None = None,
    run_id: str = "manual",
    suites: tuple = SUITES,
    store: bool = True,
) -> CheckSummary:
    """Validate each suite's table; results go to audit.check_results (replacing this run's).

    GX runs in a child process: it keeps its DuckDB connection open for the life of the
    process (see above), and DuckDB lets no second, differently configured connection
    into the same file, so the results could not be written back from here.
    """
    settings = settings or get_settings()
    env = {**os.environ, "CCHC_WAREHOUSE": str(settings.warehouse.resolve()),
           "CCHC_DBT_TARGET": settings.dbt_target}
    if settings.postgres_dsn:
        env["CCHC_POSTGRES_DSN"] = settings.postgres_dsn
    suite_names = ",".join(module.TABLE for module in suites)
    proc = subprocess.run(
        [sys.executable, "-m", "expectations.runner", "--validate-only", suite_names],
        env=env, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"Great Expectations could not run the suites {suite_names}:\n"
                           f"{proc.stderr[-3000:]}")
    summary = CheckSummary(run_id=run_id,
                           results=[CheckResult(**row) for row in json.loads(proc.stdout)])
    if store and settings.dbt_target == "duckdb":
        store_results(settings, summary)
    log.info("checks: %s", summary.to_json())
    return summary


def store_results(settings: Settings, summary: CheckSummary) -> None:
    rows = [(summary.run_id, *asdict(r).values()) for r in summary.results]
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema if not exists audit")
        con.execute(
            f"""create table if not exists {RESULTS_TABLE} (
                run_id varchar, suite varchar, check_name varchar, severity varchar,
                success boolean, unexpected_count bigint, observed varchar, why varchar,
                expected varchar, metrics varchar)"""
        )
        con.execute("begin transaction")
        con.execute(f"delete from {RESULTS_TABLE} where run_id = ?", [summary.run_id])
        if rows:
            con.executemany(f"insert into {RESULTS_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("commit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run-id", default="manual")
    parser.add_argument("--validate-only", metavar="SUITES",
                        help="(internal) run these comma-separated suites, print results as JSON")
    args = parser.parse_args()
    if args.validate_only:
        results = validate_suites(get_settings(), args.validate_only.split(","))
        print(json.dumps([asdict(result) for result in results], ensure_ascii=False))
        return
    summary = run_checks(run_id=args.run_id)
    print(json.dumps(summary.to_json(), indent=2, ensure_ascii=False))
    raise SystemExit(1 if summary.failed else 0)


if __name__ == "__main__":
    main()
