"""Read-only access to the published serving copy (never the writer's file)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table


def open_serving(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise FileNotFoundError(f"no published release at {path}: run `make run` (or `cchc run`) first")
    return duckdb.connect(str(path), read_only=True)


def run_statement(con: duckdb.DuckDBPyConnection, statement: str, fmt: str = "table") -> str:
    """Run one statement; render its result as table, csv or json text."""
    relation = con.sql(statement)
    if relation is None:
        return ""
    columns = relation.columns
    rows = relation.fetchall()
    if fmt == "json":
        return json.dumps([dict(zip(columns, row, strict=True)) for row in rows],
                          ensure_ascii=False, default=str) + "\n"
    buffer = io.StringIO()
    if fmt == "csv":
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buffer.getvalue()
    table = Table(*columns)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    Console(file=buffer, width=200).print(table)
    return buffer.getvalue()


def shell(con: duckdb.DuckDBPyConnection, console: Console) -> None:
    """A minimal read-only SQL prompt; statements end with `;`, `.quit` leaves."""
    import readline  # noqa: F401  (line editing and history for input())

    console.print("Read-only shell on the published marts. Try: [bold]show all tables;[/] "
                  "— end statements with ';', leave with .quit")
    pending = ""
    while True:
        try:
            line = input("cchc> " if not pending else "  ..> ")
        except EOFError:
            return
        if line.strip() in (".quit", ".exit", "\\q"):
            return
        pending += line + "\n"
        if not pending.rstrip().endswith(";"):
            continue
        try:
            console.print(run_statement(con, pending), end="")
        except duckdb.Error as exc:
            console.print(f"[red]{exc}[/]")
        pending = ""


def release_summary(path: Path) -> dict:
    """Release id, rows per published table and check counts of the serving copy."""
    with open_serving(path) as con:
        release_id, tables = con.execute("select release_id, tables from meta.release").fetchone()
        counts = con.execute(
            "select count(*) filter (where success), "
            "count(*) filter (where not success and severity = 'fail'), "
            "count(*) filter (where not success and severity = 'warn') "
            "from audit.check_results where run_id = ?", [release_id]
        ).fetchone()
    return {
        "release_id": release_id,
        "tables": json.loads(tables),
        "checks": dict(zip(("passed", "failed", "warned"), counts, strict=True)),
    }


def serve_docs(sites: dict[str, Path], port: int, console: Console) -> None:
    """Serve each site under /<name>/ on 127.0.0.1 (the sites are static HTML)."""
    import functools
    import http.server
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cchc-docs-") as root:
        links = []
        for name, folder in sites.items():
            if folder.exists():
                (Path(root) / name).symlink_to(folder.resolve(), target_is_directory=True)
                links.append(f'<li><a href="/{name}/index.html">{name}</a></li>')
        (Path(root) / "index.html").write_text(
            "<!doctype html><meta charset=utf-8><title>CCHC docs</title><h1>CCHC warehouse docs</h1>"
            f"<ul>{''.join(links)}</ul>", encoding="utf-8")
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
        with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
            console.print(f"Serving on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                pass
