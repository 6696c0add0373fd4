"""``python -m ingest.exports PATH... [--agency CODE] [--period P] [--warehouse PATH]``.

Prints a JSON list (one object per file) on stdout; errors go to stderr. Exit code 1 only
when a file cannot be read at all (the other files still load).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ingest.exports import load_exports
from ingest.settings import get_settings
from ingest.warehouse import connect


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load agency exports (dossiers or Bieu II.06a).")
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--agency", help="override the partition agency code")
    parser.add_argument("--period", help="override the partition period (yyyy-mm or yyyy-Qn)")
    parser.add_argument("--warehouse", type=Path, help="DuckDB file (default: settings)")
    args = parser.parse_args(argv)
    settings = get_settings()
    con = connect(args.warehouse or settings.warehouse,
                  raw=None if args.warehouse else settings.raw_warehouse)
    try:
        outcomes = load_exports(con, args.paths, agency=args.agency, period=args.period,
                                on_error=lambda path, error: print(f"error: {error}",
                                                                   file=sys.stderr))
    finally:
        con.close()
    results = [outcome.to_json() for outcome in outcomes]
    failed = any("error" in result for result in results)
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
