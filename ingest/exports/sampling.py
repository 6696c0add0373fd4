"""Exports declared to be samples of the full export, and of what fraction.

`cchc generate-exports --year Y --scale S` writes `generation_manifest_<Y>.json` beside
the agency folders (one per year generated into the same landing); with S other than 1
every file it lists holds S times the dossiers the report's year had (0.01 for the
committed sample, 18 for the 10-million-row benchmark). Such
counts cannot be compared with a report's counts, and rates computed from them carry a
sampling error: the loader records the scale in raw.load_manifest.sample_fraction so
the marts can say so. Exports without a manifest are the agencies' full exports.
"""

from __future__ import annotations

import json
from pathlib import Path

MANIFEST_PATTERN = "generation_manifest*.json"


def manifest_name(year: int) -> str:
    """The generation manifest of one year's exports."""
    return f"generation_manifest_{year}.json"


class SamplingManifestError(ValueError):
    pass


def declared_sample_fractions(exports_landing: Path) -> dict[Path, float]:
    """Resolved path -> scale, for the files the manifests in `exports_landing` declare at
    a scale other than 1; empty when there is no manifest or every scale is 1."""
    fractions: dict[Path, float] = {}
    for manifest_path in sorted(Path(exports_landing).glob(MANIFEST_PATTERN)):
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            scale = float(manifest["parameters"]["scale"])
            files = manifest["files"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SamplingManifestError(
                f"{manifest_path}: not a generation manifest ({exc}); remove it or regenerate "
                "the exports with `cchc generate-exports`") from exc
        if not 0 < scale:
            raise SamplingManifestError(
                f"{manifest_path}: parameters.scale must be positive, got {scale}")
        if scale != 1:
            fractions.update({(manifest_path.parent / name).resolve(): scale for name in files})
    return fractions
