"""The DAG folder parses, and every DAG follows the house rules."""

from __future__ import annotations

import pytest
from airflow.dag_processing.dagbag import BundleDagBag, DagBag
from airflow.sdk import CronDataIntervalTimetable

from tests.conftest import REPO_ROOT

EXPECTED = {"cchc_yearly_reports", "cchc_monthly_exports", "cchc_transform_publish"}
VERBS = ("check_", "extract_", "load_", "build_", "validate_", "publish_")


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    # The DAG processor puts the bundle (dags folder) on sys.path, as this does.
    return BundleDagBag(dag_folder=str(REPO_ROOT / "dags"), bundle_path=REPO_ROOT / "dags")


def test_no_import_errors(dagbag: DagBag) -> None:
    assert dagbag.import_errors == {}


def test_expected_dags_and_file_names(dagbag: DagBag) -> None:
    assert set(dagbag.dag_ids) == EXPECTED
    for dag_id in EXPECTED:
        assert dagbag.dags[dag_id].fileloc.endswith(f"/{dag_id}.py")


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_dag_has_tags_docs_retries_and_verb_task_ids(dagbag: DagBag, dag_id: str) -> None:
    dag = dagbag.dags[dag_id]
    assert dag.tags and "cchc" in dag.tags
    assert dag.doc_md and len(dag.doc_md) > 80
    assert dag.start_date.tzinfo is not None and dag.start_date.utcoffset().total_seconds() == 0
    for task in dag.tasks:
        assert task.retries >= 1, f"{task.task_id} has no retries"
        assert task.task_id.startswith(VERBS), f"{task.task_id} does not start with a verb"
        assert task.pool == "duckdb_writer", f"{task.task_id} writes outside the writer pool"
        assert task.doc_md


def test_loads_are_interval_driven_and_trigger_the_transform(dagbag: DagBag) -> None:
    for dag_id in ("cchc_yearly_reports", "cchc_monthly_exports"):
        assert isinstance(dagbag.dags[dag_id].timetable, CronDataIntervalTimetable)
        (load_task,) = dagbag.dags[dag_id].tasks
        assert load_task.outlets, f"{dag_id} emits no asset"
    transform = dagbag.dags["cchc_transform_publish"]
    consumed = {asset.name for asset in transform.timetable.asset_condition.objects}
    produced = {
        outlet.name
        for dag_id in ("cchc_yearly_reports", "cchc_monthly_exports")
        for outlet in dagbag.dags[dag_id].tasks[0].outlets
    }
    assert produced and produced <= consumed
    assert [t.task_id for t in transform.topological_sort()] == [
        "check_for_news", "build_models", "validate_warehouse", "publish_marts"
    ]


def test_transform_builds_the_full_history_for_reports_or_when_asked(dagbag: DagBag) -> None:
    """New reports (the yearly run) or the param full_history make dbt test the whole
    history; new export months alone make a month's build."""
    import cchc_common  # the DAG folder is on sys.path once the dagbag has parsed it

    transform = dagbag.dags["cchc_transform_publish"]
    assert transform.params["full_history"] is False
    assert "`full_history`" in transform.doc_md
    decide = cchc_common.is_full_history_run
    reports, exports = cchc_common.RAW_REPORTS, cchc_common.RAW_EXPORTS
    assert decide({"full_history": False}, {exports: ["an event"]}) is False
    assert decide({}, {}) is False and decide(None, None) is False
    assert decide({"full_history": False}, {reports: ["an event"], exports: ["an event"]}) is True
    assert decide({"full_history": True}, {exports: ["an event"]}) is True
    assert decide({"rebuild": True}, {exports: ["an event"]}) is True  # models or seeds changed
