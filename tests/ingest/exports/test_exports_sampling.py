"""Exports declared a sample (the committed 1% sample) are recorded as such, so the marts
never compare their counts with a report's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from ingest.exports import load_exports
from ingest.exports.sampling import SamplingManifestError, declared_sample_fractions, manifest_name
from tests.ingest.exports.conftest import SAMPLE_DIR


def test_the_committed_sample_declares_its_scale(sample_files: list[Path]) -> None:
    scales = declared_sample_fractions(SAMPLE_DIR)
    manifest = json.loads((SAMPLE_DIR / manifest_name(2020)).read_text(encoding="utf-8"))
    assert set(scales) == {path.resolve() for path in sample_files}
    assert set(scales.values()) == {manifest["parameters"]["scale"]} == {0.01}


def test_full_exports_declare_nothing(tmp_path: Path) -> None:
    assert declared_sample_fractions(tmp_path) == {}
    manifest = {"parameters": {"scale": 1}, "files": {"a.csv": {}}}
    (tmp_path / manifest_name(2020)).write_text(json.dumps(manifest))
    assert declared_sample_fractions(tmp_path) == {}


def test_a_broken_manifest_names_its_file(tmp_path: Path) -> None:
    (tmp_path / manifest_name(2020)).write_text("{}")
    with pytest.raises(SamplingManifestError, match=rf"{manifest_name(2020)}.*cchc generate-exports"):
        declared_sample_fractions(tmp_path)


def test_the_manifest_records_the_declared_scale(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                                 sample_files: list[Path]) -> None:
    sampled, full = sample_files[0], tmp_path / "full.csv"
    shutil.copyfile(sample_files[1], full)
    results = load_exports(con, [sampled, full], sample_fractions={sampled: 0.01})
    assert [r.sample_fraction for r in results] == [0.01, None]
    recorded = dict(con.execute("select source_file, sample_fraction from raw.load_manifest").fetchall())
    assert recorded == {str(sampled): 0.01, str(full): None}
    # a rerun skips the files and still reports what the manifest holds
    assert [r.sample_fraction for r in load_exports(con, [sampled, full])] == [0.01, None]
