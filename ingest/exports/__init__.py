"""Agency exports (CSV/XLSX/XLS) -> raw.export_dossiers, raw.export_quarantine, raw.load_manifest."""

from ingest.exports.loader import (
    ExportFailure,
    ExportLoadResult,
    landed_exports,
    load_export,
    load_exports,
)
from ingest.exports.reader import ExportError

__all__ = ["ExportError", "ExportFailure", "ExportLoadResult", "landed_exports", "load_export",
           "load_exports"]
