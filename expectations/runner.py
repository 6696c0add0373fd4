"""Run every suite against the built marts, store the results, and gate publishing.

Usage: `python -m expectations.runner [--run-id ID]` (prints a JSON summary).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import sqlalchemy
from great_expectations.core.run_identifier import RunIdentifier

from expectations.data_docs import make_offline
from expectations.gx_duckdb import persist_duckdb_connections
from expectations.results import REGISTER_COLUMNS
from expectations.results import findings as _findings
from expectations.results import metrics_in as _metrics_in
from expectations.results import observed as _observed
from expectations.suites import SUITES
from expectations.suites._check import Check
from ingest.settings import Settings, get_settings

log = logging.getLogger(__name__)

MARTS_SCHEMA = "marts"
RESULTS_TABLE = "audit.check_results"
REGISTER_TABLE = "audit.discrepancy_register"
GATE_RUNS_TABLE = "audit.gate_runs"  # one row per gate run: its GX run identifier and counts
GX_SEVERITY = {"fail": "critical", "warn": "warning"}


# GX on DuckDB needs one workaround (expectations/gx_duckdb.py).
persist_duckdb_connections()


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


def _raised_exception(info: dict) -> str | None:
    """GX reports errors either flat or keyed by metric; either way, return the message."""
    if info.get("raised_exception"):
        return str(info.get("exception_message"))[:500]
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))[:500]
    return None


def _connection_string(settings: Settings) -> str:
    if settings.dbt_target == "postgres":
        if not settings.postgres_dsn:
            raise ValueError("dbt_target is postgres but CCHC_POSTGRES_DSN is not set")
        return settings.postgres_dsn.replace("postgresql://", "postgresql+psycopg2://", 1)
    return f"duckdb:///{settings.warehouse.resolve()}"


def validate_suites(settings: Settings, suite_names: list[str],
                    run_id: RunIdentifier | None = None) -> list[CheckResult]:
    """Run the named suites with GX in this process and return one result per check.

    `run_id` names the GX run (the Data Docs list validations by it); the gate passes
    the pipeline's run id, so a release, its checks and its Data Docs share one name.

    A file-backed GX project under settings.gx_dir keeps the results and builds the
    Data Docs (gx/uncommitted/data_docs/local_site/index.html) on every run.
    """
    suites = [module for module in SUITES if module.TABLE in suite_names]
    context = gx.get_context(mode="file", project_root_dir=str(_fresh_project(settings.gx_dir)))
    source = context.data_sources.add_or_update_sql(
        name="warehouse", connection_string=_connection_string(settings)
    )
    if settings.dbt_target == "duckdb":
        # GX's column reflection ignores the asset's schema on DuckDB; the search path on
        # the (persisted) connection makes the unqualified names resolve to the marts.
        with source.get_execution_engine().get_connection() as connection:
            connection.execute(sqlalchemy.text(f"set search_path = '{MARTS_SCHEMA},main'"))
    # Row-query checks report their offending rows (GX caps them; they fill the register);
    # column checks keep the summary, which never lists every bad row of a large table.
    validations: dict[str, list] = {"SUMMARY": [], "COMPLETE": []}
    checks_of: dict[str, tuple[str, dict[str, Check]]] = {}
    for suite_module in suites:
        table = suite_module.TABLE
        asset = source.add_table_asset(name=table, table_name=table, schema_name=MARTS_SCHEMA)
        batch = asset.add_batch_definition_whole_table("whole_table")
        for result_format in validations:
            wants_rows = result_format == "COMPLETE"
            group = [c for c in suite_module.checks()
                     if isinstance(c.expectation, gxe.UnexpectedRowsExpectation) == wants_rows]
            if not group:
                continue
            suite = gx.ExpectationSuite(name=f"{table}.{result_format.lower()}")
            for check in group:
                check.expectation.meta = {"check": check.name, "severity": check.severity, "why": check.why}
                check.expectation.severity = GX_SEVERITY[check.severity]
                suite.add_expectation(check.expectation)
            suite = context.suites.add_or_update(suite)
            validations[result_format].append(context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=suite.name, data=batch, suite=suite)
            ))
            checks_of[suite.name] = (table, {check.name: check for check in group})
    results: list[CheckResult] = []
    for result_format, definitions in validations.items():
        if not definitions:
            continue
        checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
            name=f"cchc_{result_format.lower()}",
            validation_definitions=definitions,
            actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")],
            result_format=result_format,
        ))
        for suite_result in checkpoint.run(run_id=run_id).run_results.values():
            table, checks = checks_of[suite_result.suite_name]
            results += [_check_result(table, checks, result) for result in suite_result.results]
    remote = make_offline(data_docs_index(settings).parent)
    if remote:
        log.warning("GX Data Docs still load %d file(s) from the network, e.g. %s", len(remote), remote[0])
    return results


def _check_result(table: str, checks: dict[str, Check], result) -> CheckResult:
    check = checks[result.expectation_config.meta["check"]]
    details = result.result or {}
    error = _raised_exception(result.exception_info or {})
    if error:
        details = {"observed_value": f"error: {error}"}
    observed_count = details.get("observed_value")
    return CheckResult(
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
        findings=json.dumps(_findings(details), default=str),
    )


def _fresh_project(root: Path) -> Path:
    """Suites, checkpoints and data sources are defined in code: drop the stored copies
    of the last run, keep its results and Data Docs (gx/uncommitted) for history."""
    for name in ("great_expectations.yml", "expectations", "checkpoints", "validation_definitions"):
        stored = root / "gx" / name
        if stored.is_dir():
            shutil.rmtree(stored)
        else:
            stored.unlink(missing_ok=True)
    return root


def data_docs_index(settings: Settings) -> Path:
    return settings.gx_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


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
    env = {**os.environ, **settings.to_env()}
    suite_names = ",".join(module.TABLE for module in suites)
    gx_run_time = datetime.now(UTC).replace(microsecond=0)
    proc = subprocess.run(
        [sys.executable, "-m", "expectations.runner", "--validate-only", suite_names,
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
    with duckdb.connect(str(settings.warehouse)) as con:
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
        if results:
            con.executemany(f"insert into {RESULTS_TABLE} values ({', '.join('?' * 10)})", results)
        if findings:
            con.executemany(f"insert into {REGISTER_TABLE} values ({', '.join('?' * 12)})", findings)
        con.execute("commit")


_RESULT_FIELDS = ("suite", "check", "severity", "success", "unexpected_count", "observed", "why",
                  "expected", "metrics")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run-id", default="manual")
    parser.add_argument("--validate-only", metavar="SUITES",
                        help="(internal) run these comma-separated suites, print results as JSON")
    parser.add_argument("--run-time", help="(internal) GX run time, ISO 8601")
    args = parser.parse_args()
    if args.validate_only:
        gx_run = RunIdentifier(run_name=args.run_id, run_time=args.run_time)
        results = validate_suites(get_settings(), args.validate_only.split(","), gx_run)
        print(json.dumps([asdict(result) for result in results], ensure_ascii=False))
        return
    summary = run_checks(run_id=args.run_id)
    print(json.dumps(summary.to_json(), indent=2, ensure_ascii=False))
    raise SystemExit(1 if summary.failed else 0)


if __name__ == "__main__":
    main()
