"""Measure a full sample run and write its figures into the docs (never by hand).

    .venv/bin/python scripts/measure_docs.py            # run `cchc run` fresh, record, render
    .venv/bin/python scripts/measure_docs.py --render   # re-render the docs from the record

Runs `cchc run` from an empty warehouse and Airflow home (in a temporary folder, on the
committed sample), and records in docs/measured/sample_run.json: each DAG run's time, the
wall clock, what was loaded and published, the gate's counts, the register's findings and
dbt's node counts, with the machine and commit. The blocks between
`<!-- measured:NAME -->` and `<!-- /measured:NAME -->` in README.md, docs/OPERATIONS.md
and docs/SCALING.md are then rendered from that record; tests/test_docs_measured.py fails
when a block differs from its rendering or the record from what the repository holds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
RECORD = REPO / "docs" / "measured" / "sample_run.json"
DOCS = [REPO / "README.md", REPO / "docs" / "OPERATIONS.md", REPO / "docs" / "SCALING.md"]
BLOCK = re.compile(r"(<!-- measured:(?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- /measured:(?P=name) -->)",
                   re.DOTALL)
DAG_LINE = re.compile(r"\[(\d+)/(\d+)\] (?P<dag>\S+) (?P<period>\S+) "
                      r"\((?P<state>\w+), (?P<seconds>[\d.]+)s\)")


def _git_commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return proc.stdout.strip() or "unknown"


def throwaway_env(root: Path) -> dict[str, str]:
    """The environment of a `cchc run` of the committed sample from nothing: warehouse,
    Airflow home and dbt artifacts under `root`, no Postgres."""
    env = {**os.environ,
           "CCHC_WAREHOUSE": str(root / "warehouse" / "cchc.duckdb"),
           "CCHC_SERVING": str(root / "warehouse" / "serving" / "cchc.duckdb"),
           "AIRFLOW_HOME": str(root / "airflow"),
           "DBT_TARGET_PATH": str(root / "dbt_target"), "DBT_LOG_PATH": str(root / "dbt_logs")}
    for unset in ("CCHC_POSTGRES_DSN", "CCHC_LANDING", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        env.pop(unset, None)
    return env


def measure() -> dict:
    cchc = str(Path(sys.executable).parent / "cchc")
    with tempfile.TemporaryDirectory(prefix="cchc-measure-") as tmp:
        root = Path(tmp)
        env = throwaway_env(root)
        print("running `cchc run` from an empty warehouse (about 1-2 minutes)…", file=sys.stderr)
        started = time.perf_counter()
        proc = subprocess.run([cchc, "run"], env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            sys.exit(f"`cchc run` failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        runs = [{"dag_id": m["dag"], "period": m["period"], "state": m["state"],
                 "seconds": float(m["seconds"])} for m in DAG_LINE.finditer(proc.stderr)]
        manifest = json.loads((root / "dbt_target" / "manifest.json").read_text())
        nodes = Counter(node["resource_type"] for node in manifest["nodes"].values())
        with duckdb.connect(env["CCHC_SERVING"], read_only=True) as con:
            release = con.execute("select checks_passed, checks_failed, checks_warned, source_files, "
                                  "source_rows, tables from meta.release").fetchone()
            kinds = dict(con.execute("select source_kind, count(*) from meta.source_manifest "
                                     "group by all").fetchall())
            quarantined = con.execute("select coalesce(sum(rows_quarantined), 0) "
                                      "from meta.source_manifest").fetchone()[0]
            agencies = con.execute("select count(distinct agency_key) from marts.fct_dossiers"
                                   ).fetchone()[0]
    tables = json.loads(release[5])
    return {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d"),
        "commit": _git_commit(),
        "machine": {"cpus": os.cpu_count(), "system": f"{platform.system()} {platform.machine()}",
                    "python": platform.python_version()},
        "command": "python scripts/measure_docs.py",
        "wall_seconds": round(wall, 1),
        "dag_runs": runs,
        "checks": {"passed": release[0], "failed": release[1], "warned": release[2]},
        "source_files": release[3], "source_rows": release[4],
        "files_by_kind": kinds, "rows_quarantined": quarantined, "agencies": agencies,
        "dossiers": tables.get("marts.fct_dossiers"),
        "register_findings": tables.get("marts.rpt_discrepancy_register", 0),
        "published_tables": len(tables),
        "dbt_nodes": {**{kind: nodes.get(kind, 0) for kind in ("seed", "model", "test", "snapshot")},
                      "unit_test": len(manifest.get("unit_tests", {}))},
    }


def _seconds(runs: list[dict], dag_id: str) -> list[float]:
    return [run["seconds"] for run in runs if run["dag_id"] == dag_id]


def render(record: dict) -> dict[str, str]:
    """Block name -> its markdown, from the record."""
    runs = record["dag_runs"]
    monthly = _seconds(runs, "cchc_monthly_exports")
    yearly = _seconds(runs, "cchc_yearly_reports")
    publish = _seconds(runs, "cchc_transform_publish")
    checks = record["checks"]
    n_checks = checks["passed"] + checks["failed"] + checks["warned"]
    machine = record["machine"]
    where = (f"measured {record['measured_at']} (commit {record['commit']}) on a "
             f"{machine['cpus']}-core {machine['system']} machine (Python {machine['python']}) "
             f"by `{record['command']}`")
    nodes = record["dbt_nodes"]
    exports = record["source_files"] - record["files_by_kind"].get("report", 0)
    return {
        "readme_run": (
            f"A run on the sample takes about {record['wall_seconds']:.0f} s once `.venv` exists "
            f"({len(runs)} DAG runs; the gate runs {n_checks} checks: {checks['passed']} passed, "
            f"{checks['warned']} with findings, {checks['failed']} failed; "
            f"{record['register_findings']} findings in the register); {where}.\n"),
        "operations_run": (
            f"A full run on the sample ({len(yearly)} yearly run + {len(monthly)} monthly runs + "
            f"{len(publish)} transform/publish run, from an empty warehouse and an empty Airflow "
            f"home), {where}:\n\n"
            "| Step | Time |\n|---|---|\n"
            f"| `cchc_yearly_reports` ({record['files_by_kind'].get('report', 0)} report) | "
            f"{sum(yearly):.1f} s |\n"
            f"| `cchc_monthly_exports` × {len(monthly)} ({exports} export files from "
            f"{record['agencies']} agencies, {record['source_rows']:,} rows read, "
            f"{record['rows_quarantined']:,} quarantined, {record['dossiers']:,} dossiers in "
            f"`fct_dossiers`) | {min(monthly):.1f}–{max(monthly):.1f} s each, {sum(monthly):.1f} s in all |\n"
            f"| `cchc_transform_publish` (`dbt build`, GX gate with {n_checks} checks, publish of "
            f"{record['published_tables']} tables) | {sum(publish):.1f} s |\n"
            "| **Total (wall clock, with Airflow's metadata set-up)** | "
            f"**{record['wall_seconds']:.1f} s** |\n"),
        "scaling_nodes": (
            f"The dbt project has {nodes['seed']} seeds, {nodes['model']} models, "
            f"{nodes['snapshot']} snapshots, {nodes['test']} data tests and {nodes['unit_test']} "
            f"unit tests ({where}).\n"),
    }


def render_docs(record: dict) -> list[Path]:
    """Rewrite each measured block from the record; the files that changed."""
    blocks, changed = render(record), []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        new = BLOCK.sub(lambda m: m.group(1) + blocks[m["name"]] + m.group(4), text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render", action="store_true", help="only re-render the docs from the record")
    args = parser.parse_args()
    if not args.render:
        RECORD.parent.mkdir(parents=True, exist_ok=True)
        RECORD.write_text(json.dumps(measure(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {RECORD.relative_to(REPO)}")
    for path in render_docs(json.loads(RECORD.read_text(encoding="utf-8"))):
        print(f"updated {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
