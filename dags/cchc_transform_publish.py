"""Transform, check and publish: dbt build, the GX gate, then the serving copy."""

from __future__ import annotations

import logging

import pendulum
from airflow.sdk import Param, dag, task
from cchc_common import (
    DEFAULT_ARGS,
    PUBLISHED_MARTS,
    RAW_EXPORTS,
    RAW_REPORTS,
    is_full_history_run,
    no_retry_on_bad_data,
    warehouse_settings,
)

log = logging.getLogger(__name__)


@dag(
    dag_id="cchc_transform_publish",
    schedule=RAW_REPORTS | RAW_EXPORTS,
    start_date=pendulum.datetime(2020, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["cchc", "dbt", "great-expectations", "publish"],
    params={
        "rebuild": Param(False, type="boolean",
                         description="Publish a new release even when nothing new was loaded "
                                     "(e.g. after a change to the dbt models or seeds)."),
        "full_history": Param(False, type="boolean",
                              description="Run the full-history dbt tests and test whole tables, "
                                          "as the yearly run does (new reports trigger it)."),
    },
    doc_md="""
### Transform, validate, publish
Runs when new raw reports or exports land. `build_models` runs `dbt build`
(staging → intermediate → marts, with dbt tests) on the target the configuration names
(`CCHC_DBT_TARGET`: duckdb, postgres, or spark, which first exports the changed raw
partitions to the Parquet lake and brings the built marts back into the DuckDB
warehouse, so the gate and the release below read them the same way); `validate_warehouse` runs the
Great Expectations suites and stores every result in `audit.check_results`; it
fails the run when a `fail`-severity check fails, so `publish_marts` never runs
and the previous serving copy stays as it was. `publish_marts` makes this run a
release: a new read-only serving file swapped in atomically (older releases kept for
`cchc rollback`) and, when a Postgres warehouse is configured (`CCHC_POSTGRES_DSN` or
the `cchc_postgres` connection), the same marts in Postgres: both move to the release or
neither does (a failed Postgres commit puts the serving copy back), and the task fails
naming the target. A missing database or a refused login fails at once (no retry).

New export months alone make a **month's build**: dbt's `full_history` tests (those
that re-rank every raw row or read a whole fact) are left out and the incremental facts'
tests read only the rows this build wrote, so the run costs in proportion to the month.
New reports (the yearly run), the param `full_history` = true (`cchc run
--full-history`) or `rebuild` = true run every test over whole tables
(dbt_project/README.md).

When nothing new was loaded (a kept release was built from the same source files and
the same dbt project and checks) `check_for_news` **skips** the build, the gate and the
publish: a run that adds nothing costs seconds, and the releases stay as they are, so
reruns do not push the rollback history out. Trigger with the param `rebuild` = true
(`cchc run --rebuild`) to build, check (over the whole history) and publish anyway.

Every task writes the DuckDB warehouse, so every task runs in the `duckdb_writer`
pool (1 slot). A failed gate is bad data, a Postgres that refuses the database or the
login is a setting to fix: no retry. dbt failures and lock conflicts
are retried with exponential backoff (30 s, 60 s); a final failure is logged as one
summary and posted to the `cchc_alerts_webhook` connection or the
`cchc_alerts_webhook_url` variable when set.
""",
)
def cchc_transform_publish():
    @task.short_circuit(doc_md="Skips build, gate and publish when nothing new was loaded "
                               "(a kept release has the same inputs), unless the param "
                               "`rebuild` is true.")
    def check_for_news(params=None) -> bool:
        from ingest.pipeline import nothing_new_to_build

        if (params or {}).get("rebuild"):
            return True
        unchanged = nothing_new_to_build(warehouse_settings())
        if unchanged is not None:
            log.info("%s", unchanged)
        return unchanged is None

    @task(doc_md="`dbt build` on the configured dbt target (CCHC_DBT_TARGET): the month's "
                 "work, or the full history when new reports or the param `full_history` ask.")
    def build_models(params=None, triggering_asset_events=None) -> None:
        from ingest.pipeline import build_models as build

        with no_retry_on_bad_data():
            build(settings=warehouse_settings(),
                  full_history=is_full_history_run(params, triggering_asset_events))

    @task(doc_md="GX suites; a failed `fail`-severity check fails the run without retry.")
    def validate_warehouse(run_id=None) -> dict:
        from ingest.pipeline import validate_warehouse as validate

        with no_retry_on_bad_data():
            return validate(run_id, settings=warehouse_settings())

    @task(outlets=[PUBLISHED_MARTS],
          doc_md="Publish this run as a release (serving copy, Postgres); skipped when "
                 "nothing new was loaded unless the param `rebuild` is true.")
    def publish_marts(run_id=None, params=None) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        from ingest.pipeline import publish_marts as publish
        from ingest.publish import NothingToPublish

        with no_retry_on_bad_data():
            try:
                return publish(run_id, settings=warehouse_settings(),
                               rebuild=bool((params or {}).get("rebuild")))
            except NothingToPublish as exc:  # visible as "skipped" in the UI
                raise AirflowSkipException(str(exc)) from exc

    check_for_news() >> build_models() >> validate_warehouse() >> publish_marts()


cchc_transform_publish()
