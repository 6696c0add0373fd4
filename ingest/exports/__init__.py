"""Agency exports (CSV/XLSX/XLS) -> raw.export_dossiers, raw.export_quarantine, raw.load_manifest."""

from ingest.exports.loader import ExportLoadResult, landed_exports, load_export
from ingest.exports.reader import ExportError

__all__ = ["ExportError", "ExportLoadResult", "landed_exports", "load_export"]
