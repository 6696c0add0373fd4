"""Read-only access to the published serving copy (never the writer's file)."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from rich.console import Console

REPO_ROOT = Path(__file__).resolve().parent.parent


def serving_path(env_file: Path = REPO_ROOT / ".env") -> Path:
    """`Settings().serving` (CCHC_SERVING from the environment, else `.env`, else the
    default) without importing pydantic-settings, which alone costs `cchc sql -c` a
    third of its start-up. tests/ingest/test_cli.py keeps the two in agreement."""
    from dotenv import dotenv_values

    # pydantic-settings matches variable names case-insensitively; the environment wins.
    for source in (os.environ, dotenv_values(env_file) if env_file.is_file() else {}):
        for name, value in source.items():
            if name.upper() == "CCHC_SERVING" and value is not None:
                return Path(value)
    return REPO_ROOT / "warehouse" / "serving" / "cchc.duckdb"


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
    from rich.console import Console
    from rich.table import Table

    table = Table(*columns)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    Console(file=buffer, width=200).print(table)
    return buffer.getvalue()


def _statements(lines: Iterator[str]) -> Iterator[str]:
    """Join input lines into statements that end with `;` (a `.quit` line ends the input)."""
    pending = ""
    for line in lines:
        if not pending and line.strip() in (".quit", ".exit", "\\q"):
            return
        pending += line + "\n"
        if pending.rstrip().endswith(";"):
            yield pending
            pending = ""
    if pending.strip():
        yield pending


def _prompted_lines(con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    """Lines typed at a prompt_toolkit prompt: history, SQL colouring, name completion."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import WordCompleter
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.lexers import PygmentsLexer
    from pygments.lexers.sql import SqlLexer

    names = [row[0] for row in con.execute(
        "select distinct schema_name || '.' || table_name from duckdb_tables() union "
        "select distinct column_name from duckdb_columns() union "
        "select distinct keyword_name from duckdb_keywords()").fetchall()]
    session = PromptSession(history=FileHistory(str(Path.home() / ".cchc_sql_history")),
                            lexer=PygmentsLexer(SqlLexer),
                            completer=WordCompleter(names, ignore_case=True, WORD=True))
    continuing = False
    while True:
        try:
            line = session.prompt("  ..> " if continuing else "cchc> ")
        except (EOFError, KeyboardInterrupt):
            return
        if line.rstrip().endswith(";"):
            continuing = False
        elif line.strip():
            continuing = True
        yield line


def shell(con: duckdb.DuckDBPyConnection, console: Console, interactive: bool | None = None) -> int:
    """Read-only SQL on the serving copy: a prompt on a terminal, statements from stdin
    otherwise (`cchc sql < queries.sql`). Returns the number of failed statements."""
    interactive = sys.stdin.isatty() if interactive is None else interactive
    if interactive:
        console.print("Read-only SQL on the published marts. Try: [bold]show all tables;[/] "
                      "— end statements with ';', Tab completes names, Ctrl-D leaves")
        lines = _prompted_lines(con)
    else:
        lines = (line.rstrip("\n") for line in sys.stdin)
    failed = 0
    for statement in _statements(lines):
        try:
            console.print(run_statement(con, statement), end="", markup=False, highlight=False)
        except duckdb.Error as exc:
            failed += 1
            console.print(f"error: {exc}", style="red", markup=False, highlight=False)
    return failed


def serve_static(root: Path, port: int, console: Console, what: str) -> None:
    """Serve the static files under `root` on 127.0.0.1:`port` until Ctrl-C."""
    import functools
    import http.server

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root.resolve()))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        console.print(f"Serving {what} on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


def serve_docs(sites: dict[str, Path], port: int, console: Console) -> None:
    """Serve each site under /<name>/ on 127.0.0.1 (the sites are static HTML)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cchc-docs-") as root:
        links = []
        for name, folder in sites.items():
            if folder.exists():
                (Path(root) / name).symlink_to(folder.resolve(), target_is_directory=True)
                links.append(f'<li><a href="/{name}/index.html">{name}</a></li>')
                console.print(f"{name:4} http://127.0.0.1:{port}/{name}/index.html", markup=False,
                              highlight=False, soft_wrap=True)
        (Path(root) / "index.html").write_text(
            "<!doctype html><meta charset=utf-8><title>CCHC docs</title><h1>CCHC warehouse docs</h1>"
            f"<ul>{''.join(links)}</ul>", encoding="utf-8")
        serve_static(Path(root), port, console, "the docs")
