"""Yearly CCHC reports: report text -> typed figures and mentions -> raw warehouse tables."""

from ingest.reports.extract import extract_report, extract_text
from ingest.reports.model import Figure, Mention, ReportError, ReportExtraction

# The loader imports duckdb and pandas; extracting or checking a report does not need
# them, so `landed_reports` and `load_report` are imported on first use (PEP 562).
_LAZY = {"landed_reports": "ingest.reports.load", "load_report": "ingest.reports.load"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Figure",
    "Mention",
    "ReportError",
    "ReportExtraction",
    "extract_report",
    "extract_text",
    "landed_reports",
    "load_report",
]
