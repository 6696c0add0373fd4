"""Yearly CCHC reports: extract figures from the reports landed for the year, load raw."""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task
from cchc_common import DEFAULT_ARGS, RAW_REPORTS, no_retry_on_bad_data


@dag(
    dag_id="cchc_yearly_reports",
    # Interval timetable: the run for 2020 covers [2020-01-01, 2021-01-01).
    schedule=CronDataIntervalTimetable("@yearly", timezone="UTC"),
    start_date=pendulum.datetime(2018, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["cchc", "reports", "yearly"],
    # Fallbacks for the run's reports, used only when a report's text does not name its
    # province / year and its landing path reports/<province>/<year>/ does not give them.
    params={
        "province": Param(None, type=["null", "string"],
                          description="Province of reports that do not name one, e.g. \"Khanh Hoa\"."),
        "year": Param(None, type=["null", "integer"],
                      description="Report year of reports that do not state one."),
    },
    doc_md="""
### Yearly CCHC reports
Reads every report under `landing/reports/<province>/<year>/` for the run's data
interval year, extracts the catalogued figures (`ingest.reports`) and loads them
into `raw.report_*`. A report is identified by its sha256; a re-load, or a corrected
report for the same province and year, replaces the old rows in one transaction.
A report whose province cannot be found fails the run (bad data, not retried): land it
under `reports/<province>/<year>/`, or trigger the run with the param `province`
(`airflow dags trigger cchc_yearly_reports -c '{"province": "Khanh Hoa"}'`).
Emits the `cchc_raw_reports` asset, which triggers `cchc_transform_publish`.
""",
)
def cchc_yearly_reports():
    @task(outlets=[RAW_REPORTS], doc_md="Extract and load the reports of the interval's year.")
    def load_reports(data_interval_start=None, params=None) -> list[dict]:
        from ingest.pipeline import load_reports_for_year

        with no_retry_on_bad_data():
            return load_reports_for_year(data_interval_start.year,
                                         province=(params or {}).get("province"),
                                         report_year=(params or {}).get("year"))

    load_reports()


cchc_yearly_reports()
