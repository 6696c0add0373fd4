"""The yearly DAG's params `province` and `year`: fallbacks for reports that do not name
them, handed to the pipeline; a report that still has no province fails with how to fix it."""

from __future__ import annotations

import dataclasses
import shutil
import sys
from pathlib import Path

import pendulum
import pytest
from airflow.dag_processing.dagbag import BundleDagBag
from airflow.sdk.exceptions import AirflowFailException

from ingest import pipeline, warehouse
from ingest.reports import ReportError, ReportExtraction
from ingest.settings import Settings
from tests.conftest import REPO_ROOT, SAMPLE_REPORT

sys.path.insert(0, str(REPO_ROOT / "dags"))
import cchc_common  # noqa: E402  (a DAG-folder module, as the DAG processor imports it)


@pytest.fixture(scope="module")
def yearly_dag():
    bag = BundleDagBag(dag_folder=str(REPO_ROOT / "dags"), bundle_path=REPO_ROOT / "dags")
    assert bag.import_errors == {}
    return bag.dags["cchc_yearly_reports"]


def test_params_province_and_year_default_to_none(yearly_dag) -> None:
    assert yearly_dag.params.dump() == {"province": None, "year": None}
    assert "null" in yearly_dag.params.get_param("province").schema["type"]
    assert "integer" in yearly_dag.params.get_param("year").schema["type"]
    yearly_dag.params.validate()  # the defaults are valid: a scheduled run needs no conf


def test_the_task_hands_the_params_to_the_pipeline(yearly_dag, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple] = []
    monkeypatch.setattr(pipeline, "load_reports_for_year",
                        lambda year, **fallbacks: calls.append((year, fallbacks)) or [])
    task = yearly_dag.task_dict["load_reports"]
    start = pendulum.datetime(2020, 1, 1, tz="UTC")
    task.python_callable(data_interval_start=start, params={"province": "Khánh Hòa", "year": 2020})
    task.python_callable(data_interval_start=start, params={"province": None, "year": None})
    assert calls == [(2020, {"province": "Khánh Hòa", "report_year": 2020}),
                     (2020, {"province": None, "report_year": None})]


def _landed(tmp_path: Path) -> Settings:
    folder = tmp_path / "landing" / "reports" / "khanh-hoa" / "2020"
    folder.mkdir(parents=True)
    shutil.copy(SAMPLE_REPORT, folder / SAMPLE_REPORT.name)
    return Settings(landing=tmp_path / "landing", warehouse=tmp_path / "w" / "cchc.duckdb")


def test_the_pipeline_passes_the_fallbacks_to_the_extractor(tmp_path: Path, monkeypatch) -> None:
    settings = _landed(tmp_path)
    seen: list[dict] = []

    def no_province(path, **fallbacks):
        seen.append(fallbacks)
        raise ReportError(f"{path}: stop here")

    monkeypatch.setattr(pipeline, "extract_report", no_province)
    with pytest.raises(ReportError, match="stop here"):
        pipeline.load_reports_for_year(2020, settings, province="khanh-hoa", report_year=2020)
    assert seen == [{"province": "khanh-hoa", "year": 2020}]


def test_a_report_without_province_fails_saying_how_to_give_it(tmp_path: Path, monkeypatch) -> None:
    settings = _landed(tmp_path)

    def no_province(path, **fallbacks) -> ReportExtraction:
        document = {"province": None, "report_year": 2020}
        return ReportExtraction("id", str(path), document, [], [])

    monkeypatch.setattr(pipeline, "extract_report", no_province)
    with pytest.raises(AirflowFailException) as caught:
        with cchc_common.no_retry_on_bad_data():  # as the DAG task runs it: bad data, no retry
            pipeline.load_reports_for_year(2020, settings)
    message = str(caught.value)
    assert SAMPLE_REPORT.name in message and "no province" in message
    assert "reports/<province>/<year>/" in message
    assert "param province" in message and "cchc_yearly_reports" in message and "--province" in message
    assert isinstance(caught.value.__cause__, ReportError)
    assert not settings.warehouse.exists()  # checked before the writer's lock was taken


def test_a_complete_extraction_still_loads(tmp_path: Path, monkeypatch) -> None:
    settings = _landed(tmp_path)
    real = pipeline.extract_report

    def with_document(path, **fallbacks) -> ReportExtraction:
        extraction = real(path, **fallbacks)
        return dataclasses.replace(extraction, document={**extraction.document, "province": "Khanh Hoa"})

    monkeypatch.setattr(pipeline, "extract_report", with_document)
    (summary,) = pipeline.load_reports_for_year(2020, settings)
    assert summary["province"] == "Khanh Hoa" and summary["report_year"] == 2020
    assert summary["figures"] >= 100


@pytest.mark.slow
def test_a_real_run_takes_the_province_from_the_param(tmp_path: Path) -> None:
    """`dag.test()` with and without the param, on a report that names no province,
    landed under a folder that is not one (reports/inbox/2020/)."""
    from tests.dags.airflow_harness import DagTestProcess, airflow_env

    home = tmp_path / "airflow"
    landing = tmp_path / "landing"
    report = landing / "reports" / "inbox" / "2020" / "bao_cao.txt"
    report.parent.mkdir(parents=True)
    report.write_text("Báo cáo công tác cải cách hành chính năm 2020\n\nTrong năm 2020, đã tiếp "
                      "nhận 12.345 hồ sơ, giải quyết đúng hạn 12.000 hồ sơ.\n", encoding="utf-8")
    env = airflow_env(tmp_path, landing, AIRFLOW_HOME=str(home))

    with DagTestProcess(env, home / "dag-test.log", migrate=True) as airflow:
        failed = airflow.test(env, dag_id="cchc_yearly_reports", logical_date="2021-01-01")
        assert failed["state"] == "failed"
        assert "cannot load: no province" in failed["output"] and "param province" in failed["output"]

        loaded = airflow.test(env, dag_id="cchc_yearly_reports", logical_date="2021-01-01",
                              run_conf={"province": "Khánh Hòa"})
    assert loaded["state"] == "success", loaded["output"][-3000:]
    with warehouse.connect(env["CCHC_WAREHOUSE"], read_only=True) as con:
        assert con.execute("select province, report_year from raw.report_documents").fetchall() == [
            ("Khanh Hoa", 2020)]
