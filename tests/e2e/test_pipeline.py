"""End to end: `cchc run` drives the real Airflow DAGs on the repo's sample into a
temporary warehouse; the marts must hold what the input files say.

Expected numbers come from the inputs (the sample CSVs, read here with the csv module,
and the report text), never from the pipeline's own output.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from ingest import warehouse
from ingest.warehouse import file_sha256
from tests.conftest import SAMPLE_REPORT, SAMPLES, copy_build
from tests.dbt.baseline import BASELINES, fingerprint_differences

pytestmark = pytest.mark.slow
CCHC = str(Path(sys.executable).parent / "cchc")


def _parse(value: str) -> datetime | None:
    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y"):
        try:
            return datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
    return None


def expected_from_csv() -> dict:
    """Re-derive the dossier counts from the sample CSVs with the documented rules."""
    received: Counter = Counter()
    online: Counter = Counter()
    resolved = on_time = late = 0
    dossiers = set()
    for path in sorted((SAMPLES / "exports").rglob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                code = row["Mã hồ sơ"].strip()
                got = _parse(row["Ngày tiếp nhận"])
                due = _parse(row["Ngày hẹn trả"]) if row["Ngày hẹn trả"].strip() else None
                done = _parse(row["Ngày kết thúc xử lý"]) if row["Ngày kết thúc xử lý"].strip() else None
                if row["Ngày hẹn trả"].strip() and due and len(row["Ngày hẹn trả"].strip()) == 10:
                    due = due.replace(hour=23, minute=59, second=59)  # a date-only due date ends the day
                channel, status = row["Kênh thực hiện"].strip(), row["Trạng thái hồ sơ"].strip()
                if (
                    not code
                    or got is None
                    or channel not in ("1", "2", "3")
                    or (due is not None and due < got)
                    or (done is not None and done < got)
                ):
                    continue  # quarantined by the loader
                dossiers.add(code)
                agency = row["Đơn vị xử lý"].strip()
                received[agency] += 1
                online[agency] += channel == "2"
                if done is not None and status not in ("3", "7", "8"):
                    resolved += 1
                    on_time += due is None or done <= due
                    late += due is not None and done > due
    return {
        "received": received,
        "online": online,
        "resolved": resolved,
        "on_time": on_time,
        "late": late,
        "dossiers": len(dossiers),
    }


def full_history_tests(target: Path) -> tuple[set[str], dict[str, str]]:
    """The tests tagged full_history, and the status of those dbt's last invocation ran."""
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    tagged = {node_id for node_id, node in nodes.items() if "full_history" in node["tags"]}
    results = json.loads((target / "run_results.json").read_text())["results"]
    return tagged, {r["unique_id"]: r["status"] for r in results if r["unique_id"] in tagged}


@pytest.fixture
def pipeline(sample_build: dict) -> dict:
    """The session's `cchc run` of the whole sample (tests/conftest.py): read only."""
    return {**sample_build,
            "full_history_tests": full_history_tests(Path(sample_build["env"]["DBT_TARGET_PATH"]))}


def query(pipeline: dict, sql: str) -> list[tuple]:
    with duckdb.connect(str(pipeline["serving"]), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_run_prints_summary_and_where_to_query(pipeline: dict) -> None:
    out = pipeline["stdout"]
    assert "marts.fct_dossiers" in out and "Checks:" in out and "cchc sql" in out
    # the run ends with the register's findings in words
    assert "Discrepancy register (2 findings" in out
    assert "báo cáo ghi tổng số 166, nhưng các cấp cộng lại được 165 (chênh -1)" in out


def test_a_run_of_everything_landed_runs_the_full_history_tests(pipeline: dict) -> None:
    """The 2020 report is loaded: a full-history build (what a month's build leaves out,
    CI runs here), every full-history test passing or, for the warn-level one, clean."""
    tagged, ran = pipeline["full_history_tests"]
    assert len(tagged) >= 5
    assert set(ran) == tagged
    assert set(ran.values()) == {"pass"}


def test_dossier_marts_match_the_exports(pipeline: dict) -> None:
    expected = expected_from_csv()
    assert query(pipeline, "select count(*) from marts.fct_dossiers") == [(expected["dossiers"],)]
    per_agency = dict(
        query(
            pipeline,
            """
        select agency_id, sum(dossiers_received) from marts.rpt_agency_monthly_performance
        group by agency_id""",
        )
    )
    assert per_agency == dict(expected["received"])
    online = dict(
        query(
            pipeline,
            """
        select agency_id, sum(dossiers_online) from marts.rpt_agency_monthly_performance
        group by agency_id""",
        )
    )
    assert online == dict(expected["online"])
    totals = query(
        pipeline,
        """
        select sum(dossiers_resolved), sum(dossiers_on_time), sum(dossiers_late)
        from marts.rpt_agency_monthly_performance""",
    )
    assert totals == [(expected["resolved"], expected["on_time"], expected["late"])]


def test_dossiers_join_the_agency_version_of_their_date_across_the_reorganisation(
        pipeline: dict) -> None:
    """The sample's 2025-04..09: every dossier on the agency version valid when received;
    district committees until June, communes without district from July; the district
    mart ends in June and says so."""
    outside = query(pipeline, """
        select count(*) from marts.fct_dossiers f
        join marts.dim_agencies a using (agency_key)
        where a.is_unknown or f.received_date < a.valid_from_date
           or f.received_date > coalesce(a.valid_to_date, date '9999-12-31')""")
    assert outside == [(0,)]
    by_side = dict(query(pipeline, """
        select received_date >= date '2025-07-01' as after_reform,
               list(distinct a.agency_kind order by a.agency_kind)
        from marts.fct_dossiers f join marts.dim_agencies a using (agency_key)
        where year(received_date) = 2025 and a.agency_kind in ('district_committee', 'commune_committee')
        group by all"""))
    assert by_side == {False: ["commune_committee", "district_committee"], True: ["commune_committee"]}
    assert query(pipeline, """
        select count(*) from marts.fct_dossiers f join marts.dim_agencies a using (agency_key)
        where received_date >= date '2025-07-01' and a.district_name is not null
          and a.agency_kind = 'commune_committee'""") == [(0,)]
    assert query(pipeline, """
        select max(month_date), bool_and(is_last_month_of_district)
        from marts.rpt_district_monthly_performance
        where month_date = (select max(month_date) from marts.rpt_district_monthly_performance)
        """) == [(date(2025, 6, 1), True)]


def test_report_figures_come_from_the_report_text(pipeline: dict) -> None:
    lines = SAMPLE_REPORT.read_text(encoding="utf-8").splitlines()
    rows = query(
        pipeline,
        """
        select level_code, figure_value, source_line from marts.fct_report_figures
        where metric_id = 'procedures_total' order by figure_value desc""",
    )
    by_level = {level: value for level, value, _ in rows}
    # "Tong s6 TTHC hien tai 1a 1.787 thu tuc, trong do cap tinh 1a 1.232, cap huyen la 220,
    #  cap xa 1a 98, 4p dung nhieu cap 1a 237"
    assert by_level == {None: 1787, "province": 1232, "district": 220, "commune": 98, "multi_level": 237}
    total_line = next(line for level, _, line in rows if level is None)
    assert "1.787" in lines[total_line - 1]
    (year,) = query(pipeline, "select distinct report_year from marts.fct_report_figures")
    assert year == (2020,)


def test_checks_ran_gate_passed_and_register_published(pipeline: dict) -> None:
    (release_id,) = query(pipeline, "select release_id from meta.release")[0]
    results = query(
        pipeline,
        f"""
        select suite, severity, success from audit.check_results where run_id = '{release_id}'""",
    )
    suites = {suite for suite, _, _ in results}
    assert suites == {
        "fct_dossiers",
        "fct_dossier_aggregates",
        "fct_report_figures",
        "fct_report_changes",
        "rpt_agency_monthly_performance",
        "rpt_report_vs_exports",
    }
    assert not [r for r in results if r[1] == "fail" and not r[2]]
    # Only real findings: the report's own slips (lines 617-620: 166 systems in 276
    # agencies, the levels add up to 165 in 275), in words, each line and text once. The
    # committed exports are a declared 1% sample: their counts are not compared with the
    # report's, their rates are (within the printed precision and the sampling error).
    register = query(
        pipeline,
        """
        select metrics, expected, observed, source_lines, province_name, report_year, message,
               message_en, source_text
        from marts.rpt_discrepancy_register order by metrics""",
    )
    assert [row[:6] for row in register] == [
        ("iso_agencies", 276, 275, "617,619,620", "Khánh Hòa", 2020),
        ("iso_systems", 166, 165, "617,618,619,620", "Khánh Hòa", 2020),
    ]
    message, message_en, source_text = register[1][6:]
    assert "166" in message and "165" in message and "chênh -1" in message
    assert "166" in message_en and "165" in message_en and "difference -1" in message_en
    assert source_text.count("Tong cong") == 1
    compared = dict(query(pipeline, """
        select metric_id, is_compared from marts.rpt_report_vs_exports"""))
    assert {metric for metric, is_compared in compared.items() if is_compared} == {
        "dossiers_on_time_pct", "dossiers_late_pct", "dossiers_online_pct", "dossiers_postal_pct"}
    gx_docs = Path(pipeline["env"]["CCHC_WAREHOUSE"]).parent / "gx" / "gx" / "uncommitted" / "data_docs"
    assert (gx_docs / "local_site" / "index.html").exists()


def test_sql_command_reads_the_serving_copy(pipeline: dict) -> None:
    proc = subprocess.run(
        [CCHC, "sql", "-c", "select count(*) as n from marts.dim_agencies", "--format", "json"],
        env=pipeline["env"],
        capture_output=True,
        text=True,
        check=True,
    )
    agencies = sum(1 for _ in open(SAMPLES.parent.parent / "dbt_project" / "seeds" / "agencies.csv")) - 1
    assert json.loads(proc.stdout) == [{"n": agencies + 1}]  # plus the unknown member


def test_sql_reads_statements_from_stdin_and_refuses_writes(pipeline: dict) -> None:
    proc = subprocess.run(
        [CCHC, "sql"], input="select count(*) as n\nfrom marts.fct_dossiers;\n"
        "create table marts.mine as select 1;\n", env=pipeline["env"], capture_output=True, text=True)
    assert proc.returncode == 1  # one statement failed
    assert f"{expected_from_csv()['dossiers']}" in proc.stdout
    assert "read-only" in proc.stdout


def test_release_names_its_dbt_and_gx_runs_and_sources(pipeline: dict) -> None:
    env = pipeline["env"]
    (release,) = [r for r in json.loads(subprocess.run(
        [CCHC, "releases", "--json"], env=env, capture_output=True, text=True, check=True).stdout)
        if r["is_current"]]
    run_results = json.loads((Path(env["DBT_TARGET_PATH"]) / "run_results.json").read_text())
    assert release["dbt_invocation_id"] == run_results["metadata"]["invocation_id"]
    assert release["gx_run_name"] == release["release_id"]
    (passed, failed, warned), = query(pipeline, f"""
        select count(*) filter (where success), count(*) filter (where not success and severity = 'fail'),
               count(*) filter (where not success and severity = 'warn')
        from audit.check_results where run_id = '{release["release_id"]}'""")
    assert (release["checks_passed"], release["checks_failed"], release["checks_warned"]) == (
        passed, failed, warned)
    landed = [p for p in (SAMPLES / "exports").rglob("*") if p.is_file() and p.suffix != ".json"]
    digests = {file_sha256(p) for p in [*landed, SAMPLE_REPORT]}
    assert release["source_files"] == len(digests)
    assert set(query(pipeline, "select file_sha256 from meta.source_manifest")) == {(d,) for d in digests}


def test_published_marts_carry_the_dbt_descriptions(pipeline: dict) -> None:
    import yaml

    docs = yaml.safe_load((SAMPLES.parent.parent / "dbt_project" / "models" / "marts" / "core"
                           / "_core__models.yml").read_text(encoding="utf-8"))
    model = next(m for m in docs["models"] if m["name"] == "fct_dossiers")
    column = next(c for c in model["columns"] if c.get("description"))
    ((table_comment,),) = query(pipeline, "select comment from duckdb_tables() where schema_name = 'marts' "
                                "and table_name = 'fct_dossiers'")
    ((column_comment,),) = query(pipeline, "select comment from duckdb_columns() where schema_name = 'marts' "
                                 f"and table_name = 'fct_dossiers' and column_name = '{column['name']}'")
    # (dbt stores YAML folded text with its final newline)
    assert (table_comment.strip(), column_comment.strip()) == (
        model["description"].strip(), column["description"].strip())


def test_every_published_table_and_column_is_described(pipeline: dict) -> None:
    undescribed = query(pipeline, """
        select schema_name || '.' || table_name from duckdb_tables()
        where database_name = current_database() and coalesce(trim(comment), '') = ''
        union all
        select schema_name || '.' || table_name || '.' || column_name from duckdb_columns()
        where database_name = current_database() and coalesce(trim(comment), '') = ''""")
    assert undescribed == []


def test_readme_analyst_queries_and_bi_uri_work_read_only(pipeline: dict) -> None:
    import re

    import sqlalchemy

    readme = (SAMPLES.parent.parent / "README.md").read_text(encoding="utf-8")
    examples = readme.split("**Example analyst queries**", 1)[1]
    block = re.search(r"```sql\n(.*?)```", examples, re.S).group(1)
    statements = [s for s in block.split(";") if s.strip()]
    assert len(statements) == 3
    from tests.ingest.test_bi_connection import register_entry_point_dialects

    register_entry_point_dialects()  # as `pip install -e .` does, for a venv made before it
    uri = re.search(r"`(duckdb\+cchc:////ABS/PATH/\S+)`", readme).group(1)
    uri = uri.replace("/ABS/PATH/warehouse/serving/cchc.duckdb", str(pipeline["serving"].resolve()))
    engine = sqlalchemy.create_engine(uri)
    with engine.connect() as con:
        for statement in statements:
            assert con.execute(sqlalchemy.text(statement)).fetchall(), statement
        with pytest.raises(sqlalchemy.exc.DBAPIError, match="read-only"):
            con.execute(sqlalchemy.text("create table marts.mine as select 1"))
    engine.dispose()


def test_docs_builds_the_dbt_site_beside_the_gx_data_docs(sample_docs: dict) -> None:
    target = Path(sample_docs["env"]["DBT_TARGET_PATH"])
    assert (target / "index.html").exists()
    catalog = json.loads((target / "catalog.json").read_text())
    assert "model.cchc.fct_dossiers" in catalog["nodes"]
    assert "not built yet" not in sample_docs["stdout"]


def mart_fingerprint(serving: Path) -> dict[str, tuple]:
    """Row count and an order-independent hash of every published mart."""
    with duckdb.connect(str(serving), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        return {
            table: con.execute(f"select count(*), bit_xor(hash(t)) from marts.{table} as t").fetchone()
            for table in tables
        }


def releases(pipeline: dict) -> list[dict]:
    return json.loads(subprocess.run([CCHC, "releases", "--json"], env=pipeline["env"],
                                     capture_output=True, text=True, check=True).stdout)


def test_rerun_gives_the_same_marts(pipeline: dict, tmp_path: Path) -> None:
    pipeline = copy_build(pipeline, tmp_path)  # it runs `cchc run` again
    before = mart_fingerprint(pipeline["serving"])
    kept = releases(pipeline)
    proc = subprocess.run([CCHC, "run"], env=pipeline["env"], capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert mart_fingerprint(pipeline["serving"]) == before
    # Nothing new was loaded: no new release, the rollback history is as it was.
    assert releases(pipeline) == kept
    assert "Nothing new was loaded" in proc.stderr and "--rebuild" in proc.stderr
    with duckdb.connect(str(pipeline["serving"]), read_only=True) as con:
        manifest_files = con.execute("select count(*) from marts.fct_dossiers").fetchone()
    assert manifest_files == (expected_from_csv()["dossiers"],)


def test_rebuild_publishes_a_new_release_without_new_data(pipeline: dict, tmp_path: Path) -> None:
    pipeline = copy_build(pipeline, tmp_path)  # it runs `cchc run` again
    before = releases(pipeline)
    proc = subprocess.run([CCHC, "run", "--month", "2020-01", "--rebuild"],
                          env=pipeline["env"], capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = releases(pipeline)
    assert len(after) == len(before) + 1 and after[0]["is_current"]
    assert after[0]["release_id"] not in {r["release_id"] for r in before}
    assert "Nothing new was loaded" not in proc.stderr


def test_release_is_the_one_recorded(pipeline: dict) -> None:
    """The marts, the gate's results and the dashboard's numbers are those recorded
    (tests/dbt/fixtures), but for the differences baseline.py lists: a refactoring proves
    it changed nothing."""
    recorded = json.loads((BASELINES / "release_baseline_sample.json").read_text())
    assert fingerprint_differences(recorded, pipeline["serving"]) == []


def test_a_changed_mart_value_is_a_difference(pipeline: dict, tmp_path: Path) -> None:
    recorded = json.loads((BASELINES / "release_baseline_sample.json").read_text())
    altered = tmp_path / "altered.duckdb"
    shutil.copy(pipeline["serving"], altered)
    with duckdb.connect(str(altered)) as con:
        con.execute("update marts.rpt_agency_monthly_performance set dossiers_late = dossiers_late + 1 "
                    "where agency_month_id = (select min(agency_month_id) from "
                    "marts.rpt_agency_monthly_performance)")
    found = fingerprint_differences(recorded, altered)
    assert any(line.startswith("mart rpt_agency_monthly_performance") for line in found), found


def test_failed_gate_blocks_publishing(pipeline: dict, tmp_path: Path) -> None:
    """A dossier due before it was received slips into raw behind the loader's back (no
    new file, so only a rebuild looks at it): the GX gate must fail the transform run and
    leave the published release as it was."""
    pipeline = copy_build(pipeline, tmp_path)  # it writes raw, then runs `cchc run`
    (release_before,) = query(pipeline, "select release_id from meta.release")[0]
    with warehouse.connect(pipeline["env"]["CCHC_WAREHOUSE"]) as con:
        con.execute("""
            insert into raw.export_dossiers (file_sha256, source_file, source_row, partition_agency,
                partition_month, dossier_code, agency_code, channel, status, received_at, due_at)
            values ('tampered', 'tampered.csv', 1, '000.00.02.H34', '2020-03', 'TAMPERED-1',
                '000.00.02.H34', 1, 2, timestamp '2020-03-05 08:00', timestamp '2020-03-01 17:00')""")
    proc = subprocess.run(
        [CCHC, "run", "--year", "2020", "--month", "2020-03", "--rebuild"],
        env=pipeline["env"],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 1
    assert "due_not_before_received" in proc.stderr
    assert query(pipeline, "select release_id from meta.release") == [(release_before,)]
    assert query(pipeline, "select count(*) from marts.fct_dossiers where dossier_id = 'TAMPERED-1'") == [
        (0,)
    ]


@pytest.mark.postgres
def test_airflow_metadata_on_postgres(pipeline: dict, tmp_path: Path, postgres_dsn: str) -> None:
    """AIRFLOW__DATABASE__SQL_ALCHEMY_CONN switches Airflow's metadata DB to Postgres (on a
    copy of the sample build: the loads find their files loaded, the transform nothing new)."""
    import psycopg2

    pipeline = copy_build(pipeline, tmp_path)
    env = {**pipeline["env"], "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN":
           postgres_dsn.replace("postgresql://", "postgresql+psycopg2://")}
    proc = subprocess.run(
        [CCHC, "run", "--year", "2020", "--month", "2020-01"],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (Path(env["AIRFLOW_HOME"]) / "airflow.db").exists(), "SQLite was used instead"
    with psycopg2.connect(postgres_dsn) as con, con.cursor() as cur:
        cur.execute("select dag_id, state, data_interval_start::date::text from dag_run order by dag_id")
        runs = cur.fetchall()
    assert runs == [
        ("cchc_monthly_exports", "success", "2020-01-01"),
        ("cchc_transform_publish", "success", "2021-01-01"),  # after the last period
        ("cchc_yearly_reports", "success", "2020-01-01"),
    ]
    # Nothing new: the transform skipped its build, gate and publish.
    with psycopg2.connect(postgres_dsn) as con, con.cursor() as cur:
        cur.execute("select task_id, state from task_instance "
                    "where dag_id = 'cchc_transform_publish' order by task_id")
        assert cur.fetchall() == [("build_models", "skipped"), ("check_for_news", "success"),
                                  ("publish_marts", "skipped"), ("validate_warehouse", "skipped")]
