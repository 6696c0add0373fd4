"""The `cchc` commands as people call them: stdout carries only data, errors exit non-zero."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingest import warehouse as wh
from ingest.publish import publish_release
from ingest.settings import Settings
from tests.conftest import SAMPLE_REPORT, SAMPLES

CCHC = str(Path(sys.executable).parent / "cchc")
FIGURE_KEYS = {"metric", "value", "unit", "qualifiers", "denominator", "line", "text"}


def cchc(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([CCHC, *args], capture_output=True, text=True, env=env, timeout=300)


def test_extract_report_prints_only_json_lines_with_the_contract_keys() -> None:
    proc = cchc("extract-report", str(SAMPLE_REPORT))
    assert proc.returncode == 0, proc.stderr
    figures = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(figures) >= 100
    assert all(set(figure) == FIGURE_KEYS for figure in figures)
    lines = SAMPLE_REPORT.read_text(encoding="utf-8").splitlines()
    total = next(f for f in figures if f["metric"] == "procedures_total" and not f["qualifiers"])
    assert total["value"] == 1787 and "1.787" in lines[total["line"] - 1]


def test_extract_report_table_format() -> None:
    proc = cchc("extract-report", str(SAMPLE_REPORT), "--format", "table")
    assert proc.returncode == 0 and "procedures_total" in proc.stdout


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02binary\xff" * 50, "Thời tiết hôm nay đẹp.".encode()])
def test_extract_report_rejects_bad_input_naming_the_file(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    proc = cchc("extract-report", str(bad))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "bad.txt" in proc.stderr


HEAVY_PACKAGES = {"airflow", "great_expectations", "dbt", "pandas"}


@pytest.mark.parametrize("entry", [["-m", "ingest.cli", "extract-report"], ["-m", "ingest.reports"]])
def test_extract_report_imports_no_airflow_gx_dbt_or_pandas(entry: list[str]) -> None:
    """Extracting one report starts fast: nothing heavy on its import path (structural,
    not timed; `python -X importtime` lists every module the process imported)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *entry, str(SAMPLE_REPORT)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("\n") >= 100  # the figures were really extracted
    imported = {line.rpartition("|")[2].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:")}
    assert "ingest.reports.extract" in imported
    heavy = sorted(name for name in imported if name.split(".")[0] in HEAVY_PACKAGES)
    assert not heavy, f"imported on the extract-report path: {heavy[:20]}"


def imported_modules(*args: str, env: dict | None = None) -> set[str]:
    """Every module `python -X importtime -m ingest.cli ARGS` imported (structural, not timed)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "ingest.cli", *args],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {line.rpartition("|")[2].strip() for line in proc.stderr.splitlines()
            if line.startswith("import time:")}


def _published_sample(tmp_path: Path) -> Path:
    """The serving path of a one-table release."""
    settings = Settings(warehouse=tmp_path / "w.duckdb", serving=tmp_path / "serving" / "s.duckdb")
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.dim_agencies as select 1 as id")
    publish_release(settings, release_id="r1")
    return settings.serving


def test_help_and_sql_import_only_what_they_use(tmp_path: Path) -> None:
    """`cchc --help` imports no DuckDB, no settings and no pydantic; `cchc sql -c` imports
    DuckDB but neither typer nor pydantic (typer validates every option with pydantic,
    which costs more than DuckDB's import and the query) nor pydantic-settings (its one
    setting is read without it), and rich's console only for a table: these are most of
    a start-up that the query itself does not need."""
    env = {**os.environ, "CCHC_SERVING": str(_published_sample(tmp_path))}
    heavy = HEAVY_PACKAGES | {"pydantic_settings", "pydantic", "pydantic_core"}

    help_imports = imported_modules("--help", env=env)
    assert "typer" in help_imports
    assert not {name for name in help_imports if name.split(".")[0] in heavy | {"duckdb"}}
    sql_heavy = heavy | {"typer", "click"}
    as_json = imported_modules("sql", "-c", "select count(*) from marts.dim_agencies", "--format", "json",
                               env=env)
    assert {"duckdb", "ingest.serving"} <= as_json
    assert not {name for name in as_json if name.split(".")[0] in sql_heavy or name == "rich.console"}
    as_table = imported_modules("sql", "-c", "select count(*) from marts.dim_agencies", env=env)
    assert "rich.table" in as_table
    assert not {name for name in as_table if name.split(".")[0] in sql_heavy}


@pytest.mark.parametrize(("args", "runs"), [
    (["sql", "-c", "select count(*) as n, 'a,b' as s from marts.dim_agencies", "--format", "csv"], True),
    (["sql", "--command=select 1 as one, null as nothing", "--format=json"], True),
    (["sql", "--format", "table", "--command", "select * from marts.dim_agencies"], True),
    (["sql", "-c", "select * from marts.no_such_table"], False),
    (["sql", "-c", "select [1"], False),
])
def test_sql_without_typer_prints_what_typer_prints(tmp_path: Path, args: list[str], runs: bool) -> None:
    """`cchc sql -c` (ingest.cli's lean path) and the typer command it stands in for
    (`python -m ingest.commands`) print the same bytes and exit with the same code, for
    results and for errors, with and without a serving copy."""
    serving = _published_sample(tmp_path)
    for path, exit_code in ((serving, 0 if runs else 2), (tmp_path / "absent.duckdb", 2)):
        env = {**os.environ, "CCHC_SERVING": str(path)}
        lean, through_typer = (
            subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True,
                           env=env, timeout=120)
            for module in ("ingest.cli", "ingest.commands"))
        assert lean.returncode == exit_code, lean.stderr
        assert (lean.returncode, lean.stdout, lean.stderr) == (
            through_typer.returncode, through_typer.stdout, through_typer.stderr)


def test_only_plain_sql_command_lines_skip_typer() -> None:
    """The lean path takes `sql -c STATEMENT [--format F]`, each option once with a known
    format; help, the shell, -v, typos and anything unusual go to typer (its messages)."""
    from ingest.cli import SqlFormat, plain_sql_call

    assert plain_sql_call(["sql", "-c", "select 1"]) == ("select 1", SqlFormat.table)
    assert plain_sql_call(["sql", "--format", "csv", "--command", "select 1"]) == ("select 1", "csv")
    assert plain_sql_call(["sql", "--command=select 1=1", "--format=json"]) == ("select 1=1", "json")
    for args in ([], ["--help"], ["sql"], ["sql", "--help"], ["sql", "-c", "select 1", "--help"],
                 ["-v", "sql", "-c", "select 1"], ["sql", "-c"], ["sql", "-c", "select 1", "--format"],
                 ["sql", "-c", "select 1", "--format", "xml"], ["sql", "-c", "select 1", "--format", "CSV"],
                 ["sql", "-c", "a", "-c", "b"], ["sql", "-c", "select 1", "extra"],
                 ["sql", "-c=select 1"], ["sql", "-c", "--format"], ["sql", "--", "-c", "select 1"],
                 ["releases", "-c", "select 1"]):
        assert plain_sql_call(args) is None, args


def test_sql_finds_the_serving_copy_where_settings_do(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """`cchc sql` reads CCHC_SERVING without pydantic-settings: the same answer as
    `Settings().serving` from the default, from `.env` and from the environment."""
    from ingest.serving import serving_path

    monkeypatch.delenv("CCHC_SERVING", raising=False)
    no_file = tmp_path / "absent.env"
    assert serving_path(no_file) == Settings(_env_file=None).serving
    dotenv = tmp_path / ".env"
    dotenv.write_text("CCHC_WAREHOUSE=/elsewhere/w.duckdb\ncchc_serving=/from/dotenv/s.duckdb\n")
    assert serving_path(dotenv) == Settings(_env_file=dotenv).serving == Path("/from/dotenv/s.duckdb")
    monkeypatch.setenv("CCHC_SERVING", "/from/environment/s.duckdb")
    assert serving_path(dotenv) == Settings(_env_file=dotenv).serving == Path("/from/environment/s.duckdb")


def test_report_commands_pass_province_and_year_through(monkeypatch: pytest.MonkeyPatch) -> None:
    """--province and --year reach extract_report and check_report_file unchanged (the
    extractor normalises the spelling against the province vocabulary)."""
    import types

    from typer.testing import CliRunner

    import ingest.reports
    from ingest.commands import app
    from ingest.reports import ReportExtraction

    calls: list[tuple[str, dict]] = []

    def fake_extract(path, **options):
        calls.append(("extract", options))
        return ReportExtraction("id", str(path), {}, [], [])

    def fake_check(path, **options):
        calls.append(("check", options))
        return {"report": str(path), "checks": []}

    monkeypatch.setattr(ingest.reports, "extract_report", fake_extract)
    monkeypatch.setitem(sys.modules, "expectations.report_check",
                        types.SimpleNamespace(check_report_file=fake_check))
    runner = CliRunner()
    for command in ("extract-report", "check-report"):
        for spelling in ("Khanh Hoa", "Khánh Hòa", "khanh-hoa"):
            result = runner.invoke(app, [command, "r.txt", "--province", spelling, "--year", "2020"])
            assert result.exit_code == 0, result.output
        assert runner.invoke(app, [command, "r.txt"]).exit_code == 0
        assert runner.invoke(app, [command, "r.txt", "--year", "last"]).exit_code == 2
    expected = [{"province": p, "year": 2020} for p in ("Khanh Hoa", "Khánh Hòa", "khanh-hoa")]
    expected.append({"province": None, "year": None})
    assert calls == [("extract", o) for o in expected] + [("check", o) for o in expected]


def test_python_m_ingest_reports_passes_province_and_year_through(monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.reports import ReportExtraction
    from ingest.reports import __main__ as entry

    calls: list[dict] = []

    def fake_extract(path, **options):
        calls.append(options)
        return ReportExtraction("id", str(path), {}, [], [])

    monkeypatch.setattr(entry, "extract_report", fake_extract)
    assert entry.main(["r.txt", "--province", "khanh-hoa", "--year", "2020"]) == 0
    assert entry.main(["r.txt"]) == 0
    assert calls == [{"province": "khanh-hoa", "year": 2020}, {"province": None, "year": None}]


def test_load_export_json_accounts_for_every_row_and_is_idempotent(tmp_path: Path) -> None:
    files = sorted((SAMPLES / "exports").glob("*/2020-03/*.csv"))[:2]
    warehouse = tmp_path / "w.duckdb"
    first = cchc("load-export", *map(str, files), "--warehouse", str(warehouse), "--json")
    assert first.returncode == 0, first.stderr
    results = json.loads(first.stdout)
    for result, path in zip(results, files, strict=True):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = sum(1 for _ in csv.DictReader(handle))
        assert result["rows_read"] == rows == result["rows_loaded"] + result["rows_quarantined"]
        assert result["skipped"] is False
    again = json.loads(cchc("load-export", *map(str, files), "--warehouse", str(warehouse), "--json").stdout)
    assert [r["skipped"] for r in again] == [True, True]
    with wh.connect(warehouse, read_only=True) as con:
        loaded = con.execute("select count(*) from raw.export_dossiers").fetchone()[0]
    assert loaded == sum(r["rows_loaded"] for r in results)


def test_check_report_json_publishes_the_report_slip_and_exits_zero_on_warnings() -> None:
    proc = cchc("check-report", str(SAMPLE_REPORT), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["report"] == str(SAMPLE_REPORT)
    keys = {"rule", "severity", "success", "metrics", "expected", "observed", "message"}
    assert all(set(check) == keys for check in result["checks"])
    levels = next(c for c in result["checks"] if c["rule"] == "levels_sum_to_total")
    # The report: "166 HTQLCL ... trong 276 CQHCNN: cap tinh 21 ... 38, cap huyen 08 ... 101,
    # cap xa 136 ... 136": 21 + 8 + 136 = 165 and 38 + 101 + 136 = 275.
    assert levels["success"] is False and levels["severity"] == "warn"
    assert levels["metrics"] == ["iso_agencies", "iso_systems"]


def test_sql_reads_the_published_copy_in_each_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(warehouse=tmp_path / "w.duckdb", serving=tmp_path / "serving" / "s.duckdb")
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.dim_agencies as select * from (values ('a', 'Sở Tư pháp')) t(id, name)"
        )
    publish_release(settings, release_id="r1")
    monkeypatch.setenv("CCHC_SERVING", str(settings.serving))
    import os

    env = dict(os.environ)
    statement = "select id, name from marts.dim_agencies"
    as_json = cchc("sql", "-c", statement, "--format", "json", env=env)
    assert json.loads(as_json.stdout) == [{"id": "a", "name": "Sở Tư pháp"}]
    as_csv = cchc("sql", "-c", statement, "--format", "csv", env=env)
    assert list(csv.reader(io.StringIO(as_csv.stdout))) == [["id", "name"], ["a", "Sở Tư pháp"]]
    shell = subprocess.run(
        [CCHC, "sql"],
        input="select count(*) as agencies\nfrom marts.dim_agencies;\n.quit\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert shell.returncode == 0 and "agencies" in shell.stdout and "│ 1 " in shell.stdout
    refused = cchc("sql", "-c", "create table marts.x (i int)", env=env)
    assert refused.returncode != 0 and "read-only" in refused.stderr.lower()


def test_check_report_exit_codes(tmp_path: Path) -> None:
    """1 when a fail check fails (a share printed as 165,27% cannot be published), 2 when
    the report cannot be read; stdout carries only the JSON."""
    report = tmp_path / "bad_share.txt"
    report.write_text(
        "ỦY BAN NHÂN DÂN TỈNH KHÁNH HÒA\nSố: 21/BC-UBND\nKhánh Hòa, ngày 10 tháng 3 năm 2020\n"
        "Tổng kết công tác cải cách hành chính tỉnh Khánh Hòa năm 2019\n\n"
        "Cho phép nộp hồ sơ trực tuyến là 746 quy trình, chiếm tỷ lệ 165,27%.\n",
        encoding="utf-8",
    )
    failed = cchc("check-report", str(report), "--json")
    assert failed.returncode == 1, failed.stderr
    result = json.loads(failed.stdout)
    (percent,) = [c for c in result["checks"] if c["rule"] == "percent_in_range"]
    assert percent["success"] is False and percent["severity"] == "fail"
    unreadable = tmp_path / "empty.txt"
    unreadable.write_text("")
    gone = cchc("check-report", str(unreadable), "--json")
    assert gone.returncode == 2 and gone.stdout == "" and "empty.txt" in gone.stderr


@pytest.mark.parametrize(("args", "says"), [
    (["--month", "2020/01"], "--month '2020/01' is not a month: use yyyy-mm"),
    (["--month", "2020-13"], "--month '2020-13' is not a month"),
    (["--month", "2020-1"], "--month '2020-1' is not a month"),
    (["--month", "2031-01"], "no exports landed for --month 2031-01 "
                             "(landed months: 2020-01..2020-12, 2025-04..2025-09)"),
    (["--year", "1999"], "no reports landed for --year 1999 (landed report years: 2020)"),
    (["--year", "20200"], "--year 20200 is not a plausible report year"),
    (["--year", "2020", "--month", "2020-03", "--month", "2020-13"], "'2020-13' is not a month"),
])
def test_run_rejects_bad_periods_in_one_line_before_airflow_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], says: str
) -> None:
    """A typo in --year/--month exits 2 with one line (no traceback), starts no Airflow
    and publishes nothing: the kept releases are exactly as they were."""
    from typer.testing import CliRunner

    import ingest.orchestrate
    from ingest.commands import app

    settings = Settings(warehouse=tmp_path / "w.duckdb", serving=tmp_path / "serving" / "s.duckdb")
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.dim_agencies as select 1 as id")
    publish_release(settings, release_id="r1")
    releases = settings.serving.parent / "releases"
    before = sorted((p.name, p.stat().st_mtime_ns) for p in releases.iterdir())
    for name, value in (("CCHC_WAREHOUSE", settings.warehouse), ("CCHC_SERVING", settings.serving),
                        ("CCHC_LANDING", SAMPLES), ("AIRFLOW_HOME", tmp_path / "airflow")):
        monkeypatch.setenv(name, str(value))

    def no_airflow(*_args, **_kwargs) -> None:
        raise AssertionError("Airflow was started")

    monkeypatch.setattr(ingest.orchestrate, "prepare_airflow", no_airflow)
    monkeypatch.setattr(ingest.orchestrate, "run_dags", no_airflow)
    result = CliRunner().invoke(app, ["run", *args])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert says in lines[0] and "Traceback" not in result.output
    assert sorted((p.name, p.stat().st_mtime_ns) for p in releases.iterdir()) == before
    assert not (tmp_path / "airflow").exists()


def test_plan_runs_passes_rebuild_to_the_transform_run_only() -> None:
    from ingest.orchestrate import plan_runs

    runs = plan_runs([2020], ["2020-12", "2020-12"], rebuild=True)
    assert [(r.dag_id, r.run_after.isoformat(), r.conf) for r in runs] == [
        ("cchc_yearly_reports", "2021-01-01", None),
        ("cchc_monthly_exports", "2021-01-01", None),
        ("cchc_transform_publish", "2021-01-01", {"rebuild": True}),
    ]
    assert plan_runs([2020], [])[-1].conf is None


def test_cchc_run_tests_the_full_history_unless_only_months_are_asked() -> None:
    from ingest.orchestrate import full_history_wanted, plan_runs

    assert full_history_wanted([], [], asked=False)             # everything landed
    assert full_history_wanted([2020], ["2020-12"], asked=False)  # the yearly run
    assert full_history_wanted([], ["2020-12"], asked=True)      # --full-history
    assert not full_history_wanted([], ["2020-12"], asked=False)  # a month's build
    assert plan_runs([2020], ["2020-12"], full_history=True)[-1].conf == {"full_history": True}
    assert plan_runs([2020], ["2020-12"], rebuild=True, full_history=True)[-1].conf == {
        "rebuild": True, "full_history": True}
