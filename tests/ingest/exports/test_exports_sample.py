"""The generator is deterministic and the committed sample is what it produces."""

from __future__ import annotations

import csv
from pathlib import Path

from ingest.sample import HEADERS, generate_exports
from ingest.settings import REPO_ROOT

SAMPLE_DIR = REPO_ROOT / "data" / "samples" / "exports"


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.csv"))}


def test_regenerating_the_committed_sample_is_byte_identical(tmp_path: Path) -> None:
    paths = generate_exports(tmp_path / "a")
    assert paths == sorted(paths, key=lambda p: (p.parent.parent.name, p.parent.name))
    assert _tree(tmp_path / "a") == _tree(SAMPLE_DIR)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    first = generate_exports(tmp_path / "a", seed=7, months=range(1, 3))
    again = generate_exports(tmp_path / "b", seed=7, months=range(1, 3))
    other = generate_exports(tmp_path / "c", seed=8, months=range(1, 3))
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    assert [p.read_bytes() for p in first] != [p.read_bytes() for p in other]


def test_sample_layout_and_shape() -> None:
    files = sorted(SAMPLE_DIR.rglob("*.csv"))
    agencies = {p.parent.parent.name for p in files}
    assert len(agencies) == 8
    # Dien Loc exists until February 2020, Binh Loc from March (the merger).
    assert sorted(p.parent.name for p in files if p.parent.parent.name == "000.02.35.H34") == [
        "2020-01", "2020-02"]
    assert len([p for p in files if p.parent.parent.name == "000.04.35.H34"]) == 10
    for path in files:
        agency, month = path.parent.parent.name, path.parent.name
        assert path.name == f"hoso_{agency}_{month.replace('-', '')}.csv"
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0][: len(HEADERS)] == HEADERS
        assert 20 <= len(rows) - 1 <= 60
