"""Run every suite against the built marts, store the results, and gate publishing.

Usage: `python -m expectations.runner [--run-id ID]` (prints a JSON summary).
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict, dataclass, field

import duckdb
import great_expectations as gx
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
            names = ", ".join(f"{r.suite}.{r.check} ({r.observed})" for r in self.failed)
            raise GateFailed(
                f"{len(self.failed)} fail-severity check(s) failed, publishing blocked: {names}. "
                f"Query {RESULTS_TABLE} for details."
            )
        return self


def _observed(result: dict) -> str:
    keys = ("observed_value", "unexpected_count", "unexpected_percent", "partial_unexpected_list",
            "details")
    shown = {k: result[k] for k in keys if result.get(k) not in (None, [], {})}
    return json.dumps(shown, default=str, ensure_ascii=False)[:2000]


def _metrics_in(details: dict) -> list[str]:
    rows = (details.get("details") or {}).get("unexpected_rows") or []
    return sorted({row["metric_id"] for row in rows if isinstance(row, dict) and "metric_id" in row})


def _connection_string(settings: Settings) -> str:
    if settings.dbt_target == "postgres":
        if not settings.postgres_dsn:
            raise ValueError("dbt_target is postgres but CCHC_POSTGRES_DSN is not set")
        return settings.postgres_dsn.replace("postgresql://", "postgresql+psycopg2://", 1)
    return f"duckdb:///{settings.warehouse.resolve()}"


def run_checks(
    settings: Settings | None = None,
    run_id: str = "manual",
    suites: tuple = SUITES,
    store: bool = True,
) -> CheckSummary:
    """Validate each suite's table; results go to audit.check_results (replacing this run's)."""
    settings = settings or get_settings()
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(name="warehouse", connection_string=_connection_string(settings))
    summary = CheckSummary(run_id=run_id)
    try:
        for suite_module in suites:
            checks = {check.name: check for check in suite_module.checks()}
            suite = context.suites.add(gx.ExpectationSuite(name=suite_module.TABLE))
            for check in checks.values():
                expectation = check.expectation
                expectation.meta = {"check": check.name, "severity": check.severity, "why": check.why}
                expectation.severity = GX_SEVERITY[check.severity]
                suite.add_expectation(expectation)
            asset = source.add_table_asset(
                name=suite_module.TABLE, table_name=suite_module.TABLE, schema_name=MARTS_SCHEMA
            )
            batch = asset.add_batch_definition_whole_table("whole_table")
            validation = context.validation_definitions.add(
                gx.ValidationDefinition(name=suite_module.TABLE, data=batch, suite=suite)
            )
            outcome = validation.run()
            for result in outcome.results:
                check = checks[result.expectation_config.meta["check"]]
                details = result.result or {}
                if result.exception_info and result.exception_info.get("raised_exception"):
                    details = {"observed_value": result.exception_info.get("exception_message")}
                summary.results.append(CheckResult(
                    suite=suite_module.TABLE,
                    check=check.name,
                    severity=check.severity,
                    success=bool(result.success),
                    unexpected_count=details.get("unexpected_count", details.get("observed_value")
                                                 if isinstance(details.get("observed_value"), int)
                                                 else None),
                    observed=_observed(details),
                    why=check.why,
                    expected=result.expectation_config.description
                    or result.expectation_config.type,
                    metrics=json.dumps(_metrics_in(details)),
                ))
    finally:
        # Release the warehouse file before anyone else (us, below) writes it.
        source.get_execution_engine().close()
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
    args = parser.parse_args()
    summary = run_checks(run_id=args.run_id)
    print(json.dumps(summary.to_json(), indent=2, ensure_ascii=False))
    raise SystemExit(1 if summary.failed else 0)


if __name__ == "__main__":
    main()
