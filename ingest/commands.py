"""`cchc`'s commands: one command-line entry for people. Errors say what to do next.

The console script is `ingest.cli:main`, which runs `cchc sql -c` without typer and
hands every other command line to `app`."""

from __future__ import annotations

import json
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ingest.cli import SqlFormat, print_error, run_sql

if TYPE_CHECKING:
    from rich.console import Console

    from ingest.settings import Settings

# Start-up is kept light (`cchc extract-report` starts in well under a second): the
# commands import what they need; no Airflow, GX, dbt, pandas, DuckDB, pydantic-settings
# or rich console is imported at module level, and `cchc sql` reads its one setting
# without pydantic-settings (tests/ingest/test_cli.py checks it).


def get_settings() -> Settings:
    from ingest.settings import get_settings as read_settings

    return read_settings()


app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="CCHC warehouse: load reports and exports, build, check, publish, query.")


class _LazyConsole:
    """A rich Console made on first use: output that needs none (JSON lines, CSV) does not
    pay for importing it."""

    def __init__(self, **options: object) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> object:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


err = _LazyConsole(stderr=True)
# Piped output (files, other programs) gets wide tables instead of 80-column wrapping.
out = _LazyConsole(width=None if sys.stdout.isatty() else 200)


class ReportFormat(StrEnum):
    jsonl = "jsonl"
    table = "table"


class DbtTarget(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"
    spark = "spark"


# Fallbacks for a report that does not name its province / year (nor is landed under
# reports/<province>/<year>/); `extract-report` and `check-report` share them.
ProvinceOption = Annotated[str | None, typer.Option(
    "--province", help="Province when the report does not name one: \"Khanh Hoa\", "
                       "\"Khánh Hòa\" or khanh-hoa.")]
YearOption = Annotated[int | None, typer.Option(
    "--year", help="Report year when the report does not state one.")]


def _fail(message: str, code: int = 2) -> None:
    print_error(message)
    raise typer.Exit(code)


@app.callback()
def _setup(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")


@app.command()
def run(
    year: Annotated[
        list[int] | None, typer.Option(help="Report year(s) to load (default: all landed).")
    ] = None,
    month: Annotated[
        list[str] | None, typer.Option(help="Export month(s) yyyy-mm (default: all landed).")
    ] = None,
    target: Annotated[
        DbtTarget | None,
        typer.Option(help="dbt target: duckdb, postgres or spark (default: CCHC_DBT_TARGET, "
                          "else duckdb). spark builds from the Parquet lake: docs/SCALING.md."),
    ] = None,
    rebuild: Annotated[bool, typer.Option(
        "--rebuild", help="Publish a new release even when nothing new was loaded (e.g. after "
                          "changing the dbt models or seeds).")] = False,
    full_history: Annotated[bool, typer.Option(
        "--full-history", help="Run dbt's full-history tests over whole tables with --month "
                               "(a run of everything landed, or of --year, always does).")] = False,
) -> None:
    """Run the real Airflow DAGs: load reports and exports, dbt build, GX gate, publish.

    A run that loads nothing new publishes no new release (the current one stays);
    --rebuild publishes anyway. A run of --month(s) alone is a month's build (dbt tests
    the rows it wrote); a run of everything landed, of --year (the yearly run) or with
    --full-history tests the whole history.
    """
    from ingest.orchestrate import (
        OrchestrationError,
        PeriodError,
        airflow_env,
        check_periods,
        full_history_wanted,
        landed_periods,
        plan_runs,
        run_dags,
    )
    from ingest.publish import list_releases, nothing_new

    settings = get_settings()
    if target is not None:
        settings = settings.model_copy(update={"dbt_target": target.value})  # to the DAGs' tasks
    landed_years, landed_months = landed_periods(settings)
    try:
        check_periods(year or [], month or [], landed_years, landed_months)
    except PeriodError as exc:
        _fail(str(exc), 2)  # a usage error, as typer's own; before Airflow starts
    env = airflow_env(settings)
    log_file = Path(env["AIRFLOW_HOME"]) / "cchc-run.log"
    releases_before = {r.release_id for r in list_releases(settings)}
    try:
        runs = plan_runs(year or landed_years, month or landed_months, rebuild=rebuild,
                         full_history=full_history_wanted(year or [], month or [], asked=full_history))
        # The runner migrates Airflow's metadata DB and sets the writer pool first.
        with err.status(f"running {len(runs)} DAG runs (Airflow log: {log_file})…"):
            # Iterate the runner itself (not zip): its exit status is checked after the last run.
            for index, done in enumerate(run_dags(runs, env, log_file), 1):
                mark = "[green]✓[/]" if done["state"] == "success" else "[red]✗[/]"
                err.print(f"{mark} [{index}/{len(runs)}] {runs[index - 1].label} "
                          f"({done['state']}, {done['seconds']:.1f}s)")
    except OrchestrationError as exc:
        _fail(f"{exc}\nFix the cause above and rerun `cchc run`; reruns are idempotent.", 1)
    current = next((r for r in list_releases(settings) if r.is_current), None)
    if current is not None and current.release_id in releases_before and (
            unchanged := nothing_new(settings)) is not None:
        same = unchanged.release
        err.print(f"Nothing new was loaded (release {same.release_id} was built from the same "
                  f"{same.source_files} source files, dbt project and checks): no new release "
                  f"published; the current release {current.release_id} stays. "
                  "`cchc run --rebuild` publishes anyway.", highlight=False, soft_wrap=True)
    _print_release_summary(settings.serving)


def _print_release_summary(serving: Path) -> None:
    from rich.table import Table

    from ingest.publish import read_release

    release = read_release(serving)
    table = Table(title=f"Published release {release.release_id}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in release.tables.items():
        table.add_row(name, f"{rows:,}")
    out.print(table)
    out.print(f"Checks: {release.checks_passed} passed, {release.checks_failed} failed, "
              f"{release.checks_warned} warnings (details: select * from audit.check_results)")
    _print_findings(serving)
    out.print(f"Query the marts: [bold]cchc sql[/]  or  duckdb -readonly {serving}")
    out.print("Dashboard: [bold]cchc dashboard --serve[/]   Docs: [bold]cchc docs --serve[/]")


def _print_findings(serving: Path) -> None:
    """The register's findings in words (Vietnamese, as published), so a run ends with them."""
    import duckdb

    with duckdb.connect(str(serving), read_only=True) as con:
        findings = con.execute(
            "select province_name, report_year, message, source_lines "
            "from marts.rpt_discrepancy_register order by severity, check_name, metrics").fetchall()
    if not findings:
        out.print("Discrepancy register: no findings.")
        return
    out.print(f"Discrepancy register ({len(findings)} findings; marts.rpt_discrepancy_register):",
              markup=False)
    for province, year, message, lines in findings:
        out.print(f"  - {province} {year}: {message} (dòng {lines})", markup=False, highlight=False)


@app.command("extract-report")
def extract_report(
    path: Path,
    format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.jsonl,
    province: ProvinceOption = None,
    year: YearOption = None,
) -> None:
    """Print the figures of one yearly report (JSON lines on stdout, logs on stderr)."""
    from ingest.reports import ReportError
    from ingest.reports import extract_report as extract

    try:
        extraction = extract(path, province=province, year=year)
    except (ReportError, OSError) as exc:
        _fail(str(exc))
    if format is ReportFormat.jsonl:
        for figure in extraction.figures:
            sys.stdout.write(json.dumps(figure.to_json(), ensure_ascii=False) + "\n")
        return
    from rich.table import Table

    table = Table(title=f"{path.name}: {len(extraction.figures)} figures")
    for column in ("metric", "value", "unit", "qualifiers", "denominator", "line"):
        table.add_column(column)
    for figure in extraction.figures:
        row = figure.to_json()
        table.add_row(row["metric"], str(row["value"]), row["unit"],
                      json.dumps(row["qualifiers"], ensure_ascii=False),
                      "" if row["denominator"] is None else str(row["denominator"]), str(row["line"]))
    out.print(table)


@app.command("check-report")
def check_report(
    path: Path,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    province: ProvinceOption = None,
    year: YearOption = None,
) -> None:
    """Run the report consistency checks on one report without loading it.

    The gate's report checks, run on the extracted figures in memory (no warehouse, dbt
    or GX): exit 0 when no `fail` check failed, 1 when one did, 2 when the report cannot
    be read, 3 when the checks cannot run.
    """
    import duckdb

    from expectations.report_check import check_report_file
    from ingest.reports import ReportError

    try:
        result = check_report_file(path, province=province, year=year)
    except (ReportError, OSError) as exc:
        _fail(str(exc))  # exit 2: the report could not be read
    except (duckdb.Error, RuntimeError) as exc:
        _fail(f"the checks could not run: {exc}", 3)
    failed = [c for c in result["checks"] if not c["success"] and c["severity"] == "fail"]
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, default=str) + "\n")
    else:
        from rich.table import Table

        table = Table(title=f"{path.name}")
        for column in ("rule", "severity", "success", "observed"):
            table.add_column(column)
        for check in result["checks"]:
            table.add_row(check["rule"], check["severity"],
                          "[green]yes[/]" if check["success"] else "[red]no[/]", check["observed"])
        out.print(table)
    raise typer.Exit(1 if failed else 0)


@app.command("load-export")
def load_export(
    paths: list[Path],
    warehouse: Annotated[Path | None, typer.Option(help="DuckDB file (default: settings).")] = None,
    agency: Annotated[str | None, typer.Option(help="Override the partition agency code.")] = None,
    period: Annotated[str | None, typer.Option(
        help="Override the partition period: yyyy-mm (or yyyy-Qn for the aggregated form).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list on stdout.")] = False,
) -> None:
    """Load agency export files into raw (every row loaded or quarantined).

    Exit code 1 only when a file cannot be read at all; the other files still load. Exit
    code 3 when another process kept the warehouse longer than CCHC_LOCK_TIMEOUT_SECONDS.
    """
    import re

    from ingest import warehouse as wh
    from ingest.exports import load_exports as load

    if period is not None and not re.fullmatch(r"\d{4}-((0[1-9]|1[0-2])|Q[1-4])", period):
        _fail(f"--period must be yyyy-mm or yyyy-Qn, got {period!r}")
    settings = get_settings()
    target = warehouse or settings.warehouse
    try:
        # another warehouse file (--warehouse) has its raw file beside it
        con = wh.connect(target, lock_timeout=settings.lock_timeout_seconds,
                         raw=None if warehouse else settings.raw_warehouse,
                         on_wait=lambda message: err.print(message, highlight=False, soft_wrap=True))
    except wh.WarehouseLocked as exc:
        if as_json:
            sys.stdout.write(json.dumps({"error": str(exc)}, ensure_ascii=False) + "\n")
        _fail(str(exc), code=3)

    def unreadable_file(path: Path, exc: Exception) -> None:
        err.print(f"[bold red]error:[/] {exc}\n  Nothing from this file was loaded; "
                  "the other files load. Fix or re-export the file (UTF-8 or Windows-1258 "
                  "CSV, or XLSX/XLS, with a header row) and run load-export on it again.",
                  highlight=False, soft_wrap=True)

    with con:
        outcomes = load(con, paths, agency=agency, period=period, on_error=unreadable_file,
                        on_progress=lambda i, path: err.print(
                            f"[{i + 1}/{len(paths)}] {path}", highlight=False, soft_wrap=True))
    results = [outcome.to_json() for outcome in outcomes]
    for result in results:
        if "error" in result:
            continue
        state = "unchanged (already loaded)" if result["skipped"] else (
            f"{result['rows_loaded']} loaded, {result['rows_quarantined']} quarantined")
        err.print(f"{result['file']}: {result['shape']}: {result['rows_read']} rows "
                  f"read, {state}", highlight=False, soft_wrap=True)
    if as_json:
        sys.stdout.write(json.dumps(results, ensure_ascii=False) + "\n")
    if any("error" in result for result in results):
        raise typer.Exit(1)


@app.command("generate-exports")
def generate_exports(
    out_dir: Path,
    year: Annotated[int, typer.Option(help="Calendar year of the exports.")] = 2020,
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 2020,
    months: Annotated[str, typer.Option(help="Months to write: 1-12, 3, 1-3,7.")] = "1-12",
    scale: Annotated[float, typer.Option(help="1.0 = the 2020 report's volumes exactly.")] = 1.0,
    messiness: Annotated[float, typer.Option(help="Defect rate 0..1 (see the manifest).")] = 0.0,
    shape: Annotated[str, typer.Option(help="dossiers, aggregate or both.")] = "dossiers",
    format: Annotated[str, typer.Option("--format", help="csv, xlsx or both.")] = "csv",
    defects: Annotated[
        str | None, typer.Option(help="Comma-separated defect kinds (default: all).")
    ] = None,
    style: Annotated[str, typer.Option(
        help="codes (the national portal's) or labels (channel/status labels and agency names, "
             "as people export them).")] = "codes",
) -> None:
    """Write calibrated sample exports under OUT_DIR/<agency | cap-xa-district>/<yyyy-mm>/ plus a manifest."""
    from ingest.exports.sampling import manifest_name
    from ingest.sample import GenerationError
    from ingest.sample import generate_exports as generate

    try:
        with err.status("generating exports…") as status:
            paths = generate(
                out_dir, year=year, seed=seed, months=months, scale=scale, messiness=messiness,
                shapes=shape, formats=format, defects=defects.split(",") if defects else None,
                style=style, progress=lambda agency, month, rows: status.update(
                    f"generating exports… {agency.code} {year}-{month:02d} ({rows:,} dossiers)"),
            )
    except GenerationError as exc:
        _fail(str(exc))
    err.print(f"wrote {len(paths)} files under {out_dir} (defects and totals: "
              f"{out_dir / manifest_name(year)})")


@app.command()
def sql(
    command: Annotated[str | None, typer.Option("-c", "--command", help="Run one statement.")] = None,
    format: Annotated[SqlFormat, typer.Option("--format")] = SqlFormat.table,
) -> None:
    """Query the published marts (read-only serving copy): a shell, statements piped on
    stdin, or one statement with -c. Never takes the writer's lock."""
    if command is not None:  # (`cchc sql -c` usually comes through ingest.cli's lean path)
        if code := run_sql(command, format):
            raise typer.Exit(code)
        return
    from ingest.serving import open_serving, serving_path, shell

    try:
        con = open_serving(serving_path())
    except FileNotFoundError as exc:
        _fail(str(exc))
    with con:
        if shell(con, out):
            raise typer.Exit(1)


@app.command()
def releases(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the kept releases of the serving copy, newest first (* = what readers get)."""
    from ingest.publish import list_releases

    kept = list_releases(get_settings())
    if as_json:
        sys.stdout.write(json.dumps([r.to_json() for r in kept], ensure_ascii=False, indent=2) + "\n")
        return
    if not kept:
        _fail("no releases yet: run `cchc run` first")
    from rich.table import Table

    table = Table(title="Releases (cchc rollback [RELEASE_ID] makes one current)")
    for column in ("", "release", "published (UTC)", "dbt invocation", "checks p/f/w", "source files"):
        table.add_column(column)
    for r in kept:
        table.add_row("*" if r.is_current else "", r.release_id, f"{r.published_at:%Y-%m-%d %H:%M:%S}",
                      r.dbt_invocation_id or "", f"{r.checks_passed}/{r.checks_failed}/{r.checks_warned}",
                      f"{r.source_files:,}")
    out.print(table)


@app.command()
def rollback(
    release_id: Annotated[
        str | None, typer.Argument(help="Release to restore (default: the previous).")
    ] = None,
) -> None:
    """Make a kept release current again: the serving copy (and Postgres, if configured)."""
    from ingest.publish import ReleaseError
    from ingest.publish import rollback as restore

    try:
        release = restore(get_settings(), release_id)
    except ReleaseError as exc:
        _fail(str(exc))
    out.print(f"Current release is now [bold]{release.release_id}[/] "
              f"(published {release.published_at:%Y-%m-%d %H:%M:%S} UTC)")


@app.command()
def docs(
    serve: Annotated[bool, typer.Option("--serve", help="Serve both sites on localhost.")] = False,
    port: Annotated[int, typer.Option(help="Port for --serve.")] = 8080,
) -> None:
    """Build the dbt docs site; show (or serve) it and the GX Data Docs."""
    from expectations.data_docs import make_offline
    from expectations.runner import data_docs_index
    from ingest.serving import serve_docs
    from ingest.transform import TransformError, dbt_target_path, run_dbt

    settings = get_settings()
    try:
        with err.status("dbt docs generate…"):
            # --static: one page with the manifest and catalog inline, which opens from file://
            # (index.html fetches them, which browsers refuse from file://).
            run_dbt(["docs", "generate", "--static"], settings, capture=True)
    except TransformError as exc:
        _fail(f"{exc}\nThe docs read the warehouse: run `cchc run` first, and not while it runs.")
    gx_index = data_docs_index(settings)
    remote = make_offline(gx_index.parent)  # also a site built before its assets were vendored
    if remote:
        err.print(f"[yellow]The GX Data Docs still load {len(remote)} file(s) from the network[/], "
                  f"e.g. {remote[0]}")
    pages = {"dbt": dbt_target_path(settings) / "static_index.html", "gx": gx_index}
    for name, page in pages.items():
        state = "" if page.exists() else "  (not built yet: run `cchc run`)"
        out.print(f"{name:4} {page.resolve().as_uri()}{state}", markup=False, highlight=False, soft_wrap=True)
    if serve:
        serve_docs({name: page.parent for name, page in pages.items()}, port, out)


@app.command()
def dashboard(
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for index.html.")] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Serve it on localhost.")] = False,
    port: Annotated[int, typer.Option(help="Port for --serve.")] = 8050,
    lang: Annotated[str, typer.Option(
        "--lang", help="Language of the page: vi (Vietnamese, the default) or en (English).")] = "vi",
    year: Annotated[int | None, typer.Option(
        "--year", help="Reporting year of the year charts (default: the latest complete one, else the "
                       "best covered).")] = None,
) -> None:
    """Write the dashboard of the published release (a static HTML page); optionally serve it."""
    from ingest.dashboard import DashboardError, build_dashboard, serve_dashboard

    settings = get_settings()
    folder = out_dir or settings.serving.parent / "dashboard"
    try:
        page = build_dashboard(settings.serving, folder, lang, year)
    except DashboardError as exc:
        _fail(str(exc))
    out.print(f"Dashboard: {page}")
    if serve:
        serve_dashboard(folder, port, out, lang)


if __name__ == "__main__":
    app()
