"""Yearly CCHC reports: report text -> typed figures and mentions -> raw warehouse tables."""

from ingest.reports.extract import (
    Figure,
    Mention,
    ReportError,
    ReportExtraction,
    extract_report,
    extract_text,
)
from ingest.reports.load import landed_reports, load_report

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
