"""``python -m ingest.exports PATH... [--agency CODE] [--period yyyy-mm] [--warehouse PATH]``.

Prints a JSON list (one object per file) on stdout; errors go to stderr. Exit code 1 only
when a file cannot be read at all.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ingest.exports import ExportError, load_export
from ingest.settings import get_settings
from ingest.warehouse import connect


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load agency dossier exports.")
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--agency", help="override the partition agency code")
    parser.add_argument("--period", help="override the partition month (yyyy-mm)")
    parser.add_argument("--warehouse", type=Path, help="DuckDB file (default: settings)")
    args = parser.parse_args(argv)
    con = connect(args.warehouse or get_settings().warehouse)
    results: list[dict] = []
    failed = False
    try:
        for path in args.paths:
            try:
                results.append(load_export(con, path, agency=args.agency,
                                           period=args.period).to_json())
            except ExportError as error:
                failed = True
                print(f"error: {error}", file=sys.stderr)
                results.append({"file": str(path), "error": str(error)})
    finally:
        con.close()
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
