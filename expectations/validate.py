"""The gate's validating process: the only module that imports GX.

`run_checks` (expectations/runner.py) starts it as `python -m expectations.validate SUITES
--run-id ID --run-time ISO`; it validates the named suites' tables, builds the Data Docs
once, and prints one JSON result per check. A process of its own because GX keeps its
DuckDB connection open for the life of the process (expectations/gx_duckdb.py).
"""

from __future__ import annotations

import sys

# GX's compatibility layer imports pyspark whenever it is installed (it is, for dbt's Spark
# target): most of a second and a Spark-sized import for a gate that validates in SQL. A
# None entry makes `import pyspark` raise ImportError, which GX takes for "not installed".
# Set before GX is imported, in this process only (it validates and exits).
sys.modules.setdefault("pyspark", None)

import importlib  # noqa: E402
import importlib.util  # noqa: E402
import types  # noqa: E402


class _ImportedOnFirstUse(types.ModuleType):
    """Stands in for a module in sys.modules and imports it when an attribute is first read.

    GX imports altair and scipy.stats at module level, for one statistical expectation and
    its charts (expect_column_kl_divergence_to_be_less_than) and the KS-test metrics: over a
    second of a gate that uses neither. An expectation that needs them still gets them, the
    first time it touches them. Not importlib's LazyLoader: on Python 3.11 an `import altair`
    statement reads the module's __spec__, which makes LazyLoader load it on the spot.
    """

    def __getattr__(self, attribute: str):
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attribute)


def _import_on_first_use(name: str) -> None:
    if name in sys.modules or (spec := importlib.util.find_spec(name)) is None:
        return
    stand_in = _ImportedOnFirstUse(name)
    stand_in.__spec__ = spec
    sys.modules[name] = stand_in
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, stand_in)


for _name in ("scipy.stats", "altair"):
    _import_on_first_use(_name)

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
from dataclasses import asdict  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import great_expectations as gx  # noqa: E402
import great_expectations.expectations as gxe  # noqa: E402
import sqlalchemy  # noqa: E402
from great_expectations.core.run_identifier import RunIdentifier  # noqa: E402
from great_expectations.data_context.types.base import (  # noqa: E402
    DataContextConfig,
    FilesystemStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.data_context.types.resource_identifiers import (  # noqa: E402
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

from expectations.data_docs import make_offline  # noqa: E402
from expectations.gx_duckdb import persist_duckdb_connections  # noqa: E402
from expectations.results import findings as _findings  # noqa: E402
from expectations.results import metrics_in as _metrics_in  # noqa: E402
from expectations.results import observed as _observed  # noqa: E402
from expectations.runner import MARTS_SCHEMA, CheckResult, data_docs_index  # noqa: E402
from expectations.suites import SUITES  # noqa: E402
from expectations.suites._check import Check  # noqa: E402
from ingest.settings import Settings, get_settings  # noqa: E402

log = logging.getLogger(__name__)

GX_SEVERITY = {"fail": "critical", "warn": "warning"}
# Suite (named for what it reports) -> GX result format. BASIC, not SUMMARY, for the column
# checks: it has every key a result keeps (counts, percent, a sample of bad values; see
# expectations/results.py) without SUMMARY's value counts, one more query per column.
RESULT_FORMATS = {"summary": "BASIC", "complete": "COMPLETE"}
WHOLE_TABLE = "whole_table"

# GX on DuckDB needs one workaround (expectations/gx_duckdb.py).
persist_duckdb_connections()


def expectation(check: Check) -> gxe.Expectation:
    """The GX expectation of one check, carrying its name, severity and why."""
    if check.not_negative is not None:
        rule = gxe.ExpectColumnValuesToBeBetween(column=check.not_negative, min_value=0)
    else:
        rule = gxe.UnexpectedRowsExpectation(unexpected_rows_query=check.rows_query,
                                             description=check.description)
    rule.meta = {"check": check.name, "severity": check.severity, "why": check.why}
    rule.severity = GX_SEVERITY[check.severity]
    return rule


def connection_string(settings: Settings) -> str:
    if settings.dbt_target == "postgres":
        if not settings.postgres_dsn:
            raise ValueError("dbt_target is postgres but CCHC_POSTGRES_DSN is not set")
        return settings.postgres_dsn.replace("postgresql://", "postgresql+psycopg2://", 1)
    # duckdb-engine passes the URL's query to duckdb.connect(config=): the memory cap and
    # spill folder every heavy connection opens with.
    Path(settings.duckdb_config["temp_directory"]).mkdir(parents=True, exist_ok=True)
    url = sqlalchemy.URL.create("duckdb", database=str(settings.warehouse.resolve()),
                                query=settings.duckdb_config)
    return url.render_as_string(hide_password=False)


def validate_suites(settings: Settings, suite_names: list[str],
                    run_id: RunIdentifier | None = None) -> list[CheckResult]:
    """Run the named suites with GX in this process and return one result per check.

    `run_id` names the GX run (the Data Docs list validations by it); the gate passes
    the pipeline's run id, so a release, its checks and its Data Docs share one name.

    A file-backed GX project under settings.gx_dir keeps the results; the Data Docs
    (gx/uncommitted/data_docs/local_site/index.html) are built once, after all suites.
    """
    suites = [module for module in SUITES if module.TABLE in suite_names]
    # The project is defined here, in code: an ephemeral context with GX's file stores, so
    # results and Data Docs are kept on disk (gx/uncommitted) but no great_expectations.yml is
    # rewritten, as a file context does on every asset added (a tenth of a second each).
    root = _fresh_project(settings.gx_dir) / "gx"
    stores = FilesystemStoreBackendDefaults(root_directory=str(root))
    _compile_page_templates_once(stores.data_docs_sites, root / "uncommitted" / "jinja_bytecode")
    # No progress bars: the child's stderr is kept for errors only.
    context = gx.get_context(mode="ephemeral", project_config=DataContextConfig(
        store_backend_defaults=stores, data_docs_sites=stores.data_docs_sites,
        progress_bars=ProgressBarsConfig(globally=False)))
    # The data source with every table asset and its batch definition, added in one call:
    # GX re-serialises the whole project config on each asset or batch definition added.
    source = context.data_sources.add_sql(
        name="warehouse", connection_string=connection_string(settings),
        assets=[{"type": "table", "name": suite.TABLE, "table_name": suite.TABLE,
                 "schema_name": MARTS_SCHEMA, "batch_definitions": [{"name": WHOLE_TABLE}]}
                for suite in suites],
    )
    if settings.dbt_target == "duckdb":
        # GX's column reflection ignores the asset's schema on DuckDB; the search path on
        # the (persisted) connection makes the unqualified names resolve to the marts.
        with source.get_execution_engine().get_connection() as connection:
            connection.execute(sqlalchemy.text(f"set search_path = '{MARTS_SCHEMA},main'"))
    run_id = run_id or RunIdentifier(run_time=datetime.now(UTC))
    results: list[CheckResult] = []
    documented: list = []
    for suite_module in suites:
        table = suite_module.TABLE
        batch = source.get_asset(table).get_batch_definition(WHOLE_TABLE)
        # Row-query checks report their offending rows (GX caps them; they fill the register);
        # column checks keep a summary, which never lists every bad row of a large table.
        # Run as validation definitions, each with its format and no checkpoint: a checkpoint
        # takes one format, and its UpdateDataDocsAction rebuilds the site per validation.
        for report, result_format in RESULT_FORMATS.items():
            wants_rows = result_format == "COMPLETE"
            group = {c.name: c for c in suite_module.checks() if (c.rows_query is not None) == wants_rows}
            if not group:
                continue
            # add, not add_or_update: _fresh_project dropped the stored suites and definitions.
            suite = context.suites.add(gx.ExpectationSuite(
                name=f"{table}.{report}",
                expectations=[expectation(check) for check in group.values()],
            ))
            validation = context.validation_definitions.add(
                gx.ValidationDefinition(name=suite.name, data=batch, suite=suite))
            suite_result = validation.run(result_format=result_format, run_id=run_id)
            results += [_check_result(table, group, result) for result in suite_result.results]
            suite_id = ExpectationSuiteIdentifier(name=suite.name)
            documented += [suite_id, ValidationResultIdentifier(
                expectation_suite_identifier=suite_id, run_id=run_id,
                batch_identifier=suite_result.batch_id)]
    # Once per run, for this run's validations and suites (and the index): a rebuild of the
    # whole site would grow with every run kept in gx/uncommitted.
    context.build_data_docs(resource_identifiers=documented)
    remote = make_offline(data_docs_index(settings).parent)
    if remote:
        log.warning("GX Data Docs still load %d file(s) from the network, e.g. %s", len(remote), remote[0])
    return results


def _raised_exception(info: dict) -> str | None:
    """GX reports errors either flat or keyed by metric; either way, return the message."""
    if info.get("raised_exception"):
        return str(info.get("exception_message"))[:500]
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))[:500]
    return None


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


def _compile_page_templates_once(sites: dict, bytecode_cache: Path) -> None:
    """Give each Data Docs page builder a view that shares one Jinja bytecode cache
    (expectations/data_docs_views.py); the site is otherwise GX's default."""
    def view(class_name: str) -> dict:
        return {"module_name": "expectations.data_docs_views", "class_name": class_name,
                "bytecode_cache_directory": str(bytecode_cache)}

    for site in sites.values():
        site["site_section_builders"] = {section: {"view": view("CachedJinjaPageView")}
                                         for section in ("expectations", "validations", "profiling")}
        site["site_index_builder"] = {**site.get("site_index_builder", {}),
                                      "view": view("CachedJinjaIndexPageView")}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("suites", help="comma-separated suite tables")
    parser.add_argument("--run-id", default="manual")
    parser.add_argument("--run-time", help="GX run time, ISO 8601")
    args = parser.parse_args()
    gx_run = RunIdentifier(run_name=args.run_id, run_time=args.run_time)
    results = validate_suites(get_settings(), args.suites.split(","), gx_run)
    print(json.dumps([asdict(result) for result in results], ensure_ascii=False))


if __name__ == "__main__":
    main()
