"""Check one report without loading it: a throw-away warehouse, the same dbt models
and the same GX suite as the pipeline, so a check means the same thing in both."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from expectations.runner import run_checks
from expectations.suites import fct_report_changes, fct_report_figures
from ingest import warehouse
from ingest.reports import extract_report, load_report
from ingest.settings import get_settings
from ingest.transform import run_dbt


def check_report_file(path: Path) -> dict:
    """Extract `path`, build its report models in a temporary DuckDB, run the report suite."""
    extraction = extract_report(path)  # raises ReportError before anything is built
    base = get_settings()
    with tempfile.TemporaryDirectory(prefix="cchc-check-") as tmp:
        settings = base.model_copy(update={"warehouse": Path(tmp) / "check.duckdb",
                                           "gx_dir": Path(tmp) / "gx", "dbt_target": "duckdb"})
        with warehouse.connect(settings.warehouse) as con:
            load_report(con, extraction)
        run_dbt(["run", "--select", "+fct_report_figures", "+fct_report_changes",
                 "--target-path", f"{tmp}/target",
                 "--log-path", f"{tmp}/logs", "--quiet"], settings, capture=True)
        summary = run_checks(settings, run_id="check-report",
                             suites=(fct_report_figures, fct_report_changes),
                             store=False)
    return {
        "report": str(path),
        "checks": [
            {
                "rule": result.check,
                "severity": result.severity,
                "success": result.success,
                "metrics": json.loads(result.metrics),
                "expected": result.expected,
                "observed": result.observed,
                "message": result.why,
            }
            for result in summary.results
        ],
    }
