"""The pipeline's steps, one function each; Airflow tasks and `cchc` call these.

Each step takes the run's period explicitly (never the wall clock) so a rerun or a
backfill of the same period gives the same warehouse.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ingest import warehouse
from ingest.exports import landed_exports, load_exports
from ingest.exports.sampling import declared_sample_fractions
from ingest.reports import ReportError, extract_report, landed_reports, load_report
from ingest.settings import Settings, get_settings
from ingest.transform import (
    dbt_target_path,
    reference_build_record,
    reference_is_current,
    run_dbt,
    write_reference_build_record,
)

if TYPE_CHECKING:
    from ingest.publish import NothingToPublish

log = logging.getLogger(__name__)


def load_reports_for_year(
    year: int,
    settings: Settings | None = None,
    *,
    province: str | None = None,
    report_year: int | None = None,
) -> list[dict]:
    """Extract and load every report landed for `year`; returns one summary per report.

    `province` and `report_year` (the yearly DAG's params) are fallbacks for a report
    whose text does not name them and whose landing path does not give them.
    """
    settings = settings or get_settings()
    paths = landed_reports(settings.reports_landing, year)
    if not paths:
        log.warning("no reports landed under %s/*/%s", settings.reports_landing, year)
    # Extract (OCR included) and check every report before taking the writer's lock: a
    # report that cannot be loaded fails the run before anything is written.
    extractions = []
    for path in paths:
        extraction = extract_report(path, province=province, year=report_year)
        _require_partition(path, extraction.document)
        extractions.append(extraction)
    summaries = []
    with warehouse.connect(settings.warehouse, config=settings.duckdb_config,
                           raw=settings.raw_warehouse) as con:
        for path, extraction in zip(paths, extractions, strict=True):
            summary = load_report(con, extraction)
            log.info("loaded report %s: %s", path, summary)
            summaries.append(summary)
    return summaries


def _require_partition(path: Path, document: dict) -> None:
    """A report loads into (province, year): say how to give whichever is missing."""
    missing = [name for name, key in (("province", "province"), ("year", "report_year"))
               if not document.get(key)]
    if missing:
        names = " and ".join(missing)
        conf = json.dumps({name: {"province": "Khanh Hoa", "year": 2020}[name] for name in missing})
        options = " ".join(f"--{name}" for name in missing)
        raise ReportError(
            f"{path}: cannot load: no {' or '.join(missing)} found in the report text or its "
            "landing path. Land the file under reports/<province>/<year>/ (e.g. "
            f"reports/khanh-hoa/2020/), or trigger the DAG cchc_yearly_reports with the "
            f"param{'s' if len(missing) > 1 else ''} {names} (airflow dags trigger "
            f"cchc_yearly_reports -c '{conf}'); `cchc extract-report` and `cchc check-report` "
            f"take the same as {options}."
        )


def load_exports_for_month(month: str, settings: Settings | None = None) -> list[dict]:
    """Load every agency export landed for `month` (yyyy-mm) as one batch; one result per
    file. A file that cannot be read fails the load before anything is written."""
    settings = settings or get_settings()
    paths = landed_exports(settings.exports_landing, month)
    if not paths:
        log.warning("no exports landed under %s/*/%s", settings.exports_landing, month)
        return []
    scales = declared_sample_fractions(settings.exports_landing)
    with warehouse.connect(settings.warehouse, config=settings.duckdb_config,
                           raw=settings.raw_warehouse) as con:
        results = load_exports(
            con, paths, on_progress=lambda i, path: log.info("[%d/%d] reading %s", i + 1,
                                                             len(paths), path),
            sample_fractions=scales)
    for result in results:
        log.info("loaded export %s", result.to_json())
    return [result.to_json() for result in results]


# dbt tests that read the whole history (every raw row, or all of an incremental fact):
# the yearly and full-refresh builds run them, a month's build does not
# (dbt_project/README.md, "Full-history tests").
FULL_HISTORY_TAG = "full_history"
# dbt_project/selectors.yml: what a month's build runs: the whole project without the
# full-history tests, or only what the export sources feed when the reference part of
# the warehouse (seeds, the models the exports do not feed) is current.
MONTH_BUILD_SELECTOR = "month_build"
MONTH_EXPORTS_BUILD_SELECTOR = "month_exports_build"


def dbt_build_args(*, full_history: bool, full_refresh: bool = False,
                   reference_is_current: bool = False) -> list[str]:
    """`dbt build` for a full-history run (every test, over whole tables), or for a
    month (selectors.yml): every model, the tests of what the exports feed without the
    full-history tests, the incremental facts' tests reading only the rows this build
    wrote (macros/test_scope.sql), no unit tests; with `reference_is_current`, only the
    models the exports feed (the seeds and dimensions stay as the last build left them).
    `full_refresh`: the incremental facts rebuilt from all of raw (always with the
    full-history tests)."""
    if full_refresh:
        return ["build", "--full-refresh"]
    if full_history:
        return ["build"]
    if reference_is_current:
        return ["build", "--selector", MONTH_EXPORTS_BUILD_SELECTOR]
    return ["build", "--selector", MONTH_BUILD_SELECTOR]


def build_models(settings: Settings | None = None, *, full_history: bool = True,
                 full_refresh: bool = False) -> None:
    """`dbt build` (seeds, models, snapshots and their tests) on the configured target.

    `full_history` false is a month's build: work in proportion to the month (see
    dbt_build_args); the transform DAG sets it from what triggered the run. It leaves
    the seeds and the models the exports do not feed alone when a build of the same
    project files made them on this target (ingest.transform.reference_is_current); a
    build of the whole project records that.

    The loaders write raw into DuckDB, the system of record; for the postgres target
    the raw schema is mirrored into Postgres first, in one transaction. For the spark
    target the changed partitions of raw go to the Parquet lake first (ingest/lake.py),
    and the marts Spark built come back into the DuckDB warehouse's `marts` schema
    afterwards, where the GX gate and publishing read them as on the duckdb target.
    """
    settings = settings or get_settings()
    reference = reference_build_record(settings)
    reference_current = not full_history and reference_is_current(settings, reference)
    build = dbt_build_args(full_history=full_history, full_refresh=full_refresh,
                           reference_is_current=reference_current)
    log.info("dbt %s (%s)", " ".join(build), "full history" if full_history else "this month")
    if settings.dbt_target == "postgres":
        if not settings.postgres_dsn:
            raise ValueError("CCHC_DBT_TARGET=postgres needs CCHC_POSTGRES_DSN (see .env.example)")
        with warehouse.connect(settings.warehouse, config=settings.duckdb_config,
                               raw=settings.raw_warehouse) as con:
            copied = warehouse.copy_raw_to_postgres(con, settings.postgres_dsn)
        log.info("mirrored raw into Postgres: %s", copied)
    if settings.dbt_target == "spark":
        from ingest.lake import export_lake, load_spark_marts

        with warehouse.connect(settings.warehouse, config=settings.duckdb_config,
                               raw=settings.raw_warehouse) as con:
            exported = export_lake(con, settings.lake)
        log.info("raw lake %s: %d partitions written", settings.lake, exported.partitions_written)
        run_dbt(build, settings)
        with warehouse.connect(settings.warehouse, config=settings.duckdb_config,
                               raw=settings.raw_warehouse) as con:
            loaded = load_spark_marts(con, settings.spark_warehouse,
                                      dbt_target_path(settings) / "manifest.json")
        log.info("marts from Spark into %s: %s", settings.warehouse, loaded)
        return
    run_dbt(build, settings)
    if not reference_current:
        write_reference_build_record(settings, reference)


def marts_settings(settings: Settings) -> Settings:
    """The settings the GX gate and publishing use: on the spark target the marts are
    read from the DuckDB warehouse (build_models copies them there), as on duckdb."""
    if settings.dbt_target == "spark":
        return settings.model_copy(update={"dbt_target": "duckdb"})
    return settings


def validate_warehouse(run_id: str, settings: Settings | None = None) -> dict:
    """Run the GX suites, store their results, and raise if a `fail` check failed."""
    from expectations.runner import run_checks

    settings = marts_settings(settings or get_settings())
    return run_checks(settings, run_id=run_id).raise_for_failures().to_json()


def publish_marts(release_id: str, settings: Settings | None = None, *, rebuild: bool = False) -> dict:
    """Swap the read-only serving copy (and Postgres, when configured) to this release
    (DuckDB and Spark targets).

    Raises `ingest.publish.NothingToPublish` when a kept release was built from the same
    source files and the same dbt project and checks (nothing new was loaded), so runs
    that add nothing do not push the kept releases out; `rebuild` publishes anyway.
    On the postgres target dbt already built the marts where BI reads them.
    """
    from ingest.publish import publish_release

    settings = settings or get_settings()
    if settings.dbt_target == "postgres":
        return {"release_id": release_id, "target": "postgres", "schema": "marts"}
    if not rebuild and (unchanged := nothing_new_to_build(settings)) is not None:
        raise unchanged
    return publish_release(marts_settings(settings), release_id=release_id)


def nothing_new_to_build(settings: Settings | None = None) -> NothingToPublish | None:
    """NothingToPublish (to raise or log) when a kept release was built from the source
    files the warehouse holds now, with the same dbt project and checks: building and
    checking again could only reproduce it. None when there is something new; always None
    on the postgres target (no release files record what its marts were built from)."""
    from ingest.publish import nothing_new

    settings = settings or get_settings()
    if settings.dbt_target == "postgres":
        return None
    return nothing_new(marts_settings(settings))
