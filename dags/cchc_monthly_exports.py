"""Monthly agency exports: load the dossier exports landed for the month."""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task
from cchc_common import DEFAULT_ARGS, RAW_EXPORTS, no_retry_on_bad_data


@dag(
    dag_id="cchc_monthly_exports",
    # Interval timetable: the run for 2020-03 covers [2020-03-01, 2020-04-01).
    schedule=CronDataIntervalTimetable("@monthly", timezone="UTC"),
    start_date=pendulum.datetime(2020, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["cchc", "exports", "monthly"],
    doc_md="""
### Monthly agency exports
Loads every file under `landing/exports/<agency>/<yyyy-mm>/` for the run's data
interval month (`ingest.exports`): each row is loaded or quarantined with a reason,
and each file is recorded in `raw.load_manifest` with its sha256. Partitions are
(agency, month); a new file replaces its partitions, the same file changes nothing.
Emits the `cchc_raw_exports` asset, which triggers `cchc_transform_publish`.
""",
)
def cchc_monthly_exports():
    @task(outlets=[RAW_EXPORTS], doc_md="Load the exports of the interval's month.")
    def load_exports(data_interval_start=None) -> list[dict]:
        from ingest.pipeline import load_exports_for_month

        with no_retry_on_bad_data():
            return load_exports_for_month(data_interval_start.strftime("%Y-%m"))

    load_exports()


cchc_monthly_exports()
