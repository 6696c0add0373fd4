"""`cchc`, the console entry point: the commands are the typer app in `ingest.commands`.

`cchc sql -c STATEMENT [--format F]` skips typer: typer parses every parameter through
pydantic, and importing pydantic and building its validators cost more than DuckDB's
import and the query together. The command line is read here only when it is exactly
that (each option once, a known format); anything else, `--help` and every typo included,
goes to typer, so options, messages and output stay typer's. tests/ingest/test_cli.py
checks that both paths print the same and that this one imports neither typer nor pydantic.
"""

from __future__ import annotations

import sys
from enum import StrEnum


class SqlFormat(StrEnum):
    """How `cchc sql` prints a result (ingest.serving.run_statement renders each)."""

    table = "table"
    csv = "csv"
    json = "json"


_SQL_OPTIONS = {"-c": "command", "--command": "command", "--format": "format"}


def plain_sql_call(args: list[str]) -> tuple[str, SqlFormat] | None:
    """(statement, format) when `args` are `sql -c STATEMENT` with at most a valid
    `--format`, each given once; None for any other command line."""
    if not args or args[0] != "sql":
        return None
    given: dict[str, str] = {}
    rest = args[1:]
    while rest:
        option, has_value, value = rest[0].partition("=")
        if option not in _SQL_OPTIONS or (has_value and not option.startswith("--")):
            return None
        if not has_value:
            if len(rest) < 2 or rest[1].startswith("-"):  # typer decides what that means
                return None
            value = rest[1]
        name = _SQL_OPTIONS[option]
        if name in given:
            return None
        given[name] = value
        rest = rest[1 if has_value else 2:]
    fmt = given.get("format", SqlFormat.table.value)
    if "command" not in given or fmt not in {f.value for f in SqlFormat}:
        return None
    return given["command"], SqlFormat(fmt)


def print_error(message: str) -> None:
    """`error: <message>` in bold red on stderr, as every command reports a user error."""
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False,
                               soft_wrap=True)


def run_sql(statement: str, fmt: SqlFormat) -> int:
    """Print one statement's result from the serving copy; the exit code (2: a user error)."""
    from ingest.serving import open_serving, run_statement, serving_path

    try:
        con = open_serving(serving_path())
    except FileNotFoundError as exc:
        print_error(str(exc))
        return 2
    with con:
        try:
            sys.stdout.write(run_statement(con, statement, fmt.value))
        except Exception as exc:  # duckdb raises many error types; all are user errors here
            print_error(str(exc))
            return 2
    return 0


def main() -> None:
    call = plain_sql_call(sys.argv[1:])
    if call is not None:
        try:
            code = run_sql(*call)
        except KeyboardInterrupt:
            code = 130  # as typer ends on Ctrl-C: no traceback
        sys.exit(code)
    from ingest.commands import app

    app()


if __name__ == "__main__":
    main()
