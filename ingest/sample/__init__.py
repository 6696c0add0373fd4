"""Sample agency exports, calibrated to the Khanh Hoa 2020 report, and the reference catalog.

- `reference`: fields and procedures (catalog.yml -> dbt_project/seeds/*.csv)
- `plan`: integer counts per agency and month (largest remainder, calibration.yml)
- `generator`: dossier-level and aggregated (Bieu II.06a) files, CSV/XLSX, messiness

Usage: ``python -m ingest.sample OUT_DIR [--year 2020] [--seed 2020] [--scale 0.01] ...``
or ``cchc generate-exports OUT_DIR ...``.
"""

from ingest.sample.generator import (
    AGGREGATE_HEADERS,
    ALL_DEFECTS,
    HEADERS,
    NOTE_HEADER,
    GenerationError,
    generate_exports,
)
from ingest.sample.plan import Plan, build_plan

# The committed sample (data/samples/exports): the report's year 2020, and six months
# either side of the 2025 reorganisation (2025-04..09) into the same landing; regenerate
# with `python -m ingest.sample data/samples/exports --committed-sample` (a test checks the
# bytes).
COMMITTED_SAMPLE = {"year": 2020, "seed": 2020, "scale": 0.01, "messiness": 0.01,
                    "defects": ("invalid_date_impossible", "invalid_date_unparseable",
                                "due_before_received", "finished_before_received",
                                "unknown_channel", "missing_dossier_code"),
                    "shapes": "dossiers", "formats": "csv"}
COMMITTED_SAMPLES = (COMMITTED_SAMPLE,
                     {**COMMITTED_SAMPLE, "year": 2025, "seed": 2025, "months": "4-9"})

__all__ = ["AGGREGATE_HEADERS", "ALL_DEFECTS", "COMMITTED_SAMPLE", "COMMITTED_SAMPLES", "HEADERS",
           "NOTE_HEADER", "GenerationError", "Plan", "build_plan", "generate_exports"]
