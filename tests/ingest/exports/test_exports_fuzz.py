"""Fuzz: real-looking exports, broken at random (fixed seed, bounded), never break the loader.

Each mutant either is refused with an ExportError (nothing loaded from it) or loads with
every row accounted for: rows read = loaded + quarantined, and the warehouse holds exactly
that many rows of the file. The warehouse stays openable throughout.
"""

from __future__ import annotations

import random
from pathlib import Path

from ingest.exports import ExportError, load_export
from ingest.warehouse import connect
from tests.ingest.exports.conftest import SAMPLE_DIR

SEED = 2026
MUTANTS = 60


def _mutate(rng: random.Random, data: bytes) -> bytes:
    """One to three random defects of the kinds real files have, and some they should not."""
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(12)
        i = rng.randrange(1, max(2, len(lines)))
        i = min(i, len(lines) - 1)
        if kind == 0:  # flip bytes
            raw = bytearray(b"\n".join(lines))
            for _ in range(rng.randint(1, 20)):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
            lines = bytes(raw).split(b"\n")
        elif kind == 1:  # an unbalanced quote
            lines[i] = lines[i].replace(b",", b',"', 1)
        elif kind == 2:  # blank lines
            lines[i:i] = [b""] * rng.randint(1, 3)
        elif kind == 3:  # a duplicated row
            lines.insert(i, lines[i])
        elif kind == 4:  # a truncated file
            lines = lines[: max(2, i)]
            lines[-1] = lines[-1][: rng.randrange(len(lines[-1]) + 1)]
        elif kind == 5:  # surplus values
            lines[i] += b",x,y"
        elif kind == 6:  # missing values
            lines[i] = b",".join(lines[i].split(b",")[: rng.randint(0, 4)])
        elif kind == 7:  # another delimiter
            lines = [line.replace(b",", b";") for line in lines]
        elif kind == 8:  # a quoted cell with a line break
            lines[i] += b',"ghi chu\ndong 2"'
        elif kind == 9:  # labels instead of codes, in odd spellings
            lines[i] = lines[i].replace(b",1,", "  TRỰC tiếp ,".encode()).replace(b",2,", b",qua mang,")
        elif kind == 10:  # a BOM in the middle, NULs
            lines[i] = b"\xef\xbb\xbf\x00" + lines[i]
        else:  # a very long cell
            lines[i] += b"," + b"z" * rng.choice([10, 10_000, 1_100_000])
    return b"\n".join(lines)


def test_mutated_exports_load_or_are_refused_cleanly(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    sources = sorted(SAMPLE_DIR.rglob("*.csv"))
    picked = [sources[i] for i in sorted(rng.sample(range(len(sources)), 6))]
    warehouse = tmp_path / "w.duckdb"
    loaded = refused = 0
    with connect(warehouse) as con:
        for n in range(MUTANTS):
            source = picked[n % len(picked)]
            path = tmp_path / f"m{n:03d}_{source.name}"
            path.write_bytes(_mutate(rng, source.read_bytes()))
            try:
                result = load_export(con, path)
            except ExportError as error:
                assert str(path) in str(error)  # the message names the file
                refused += 1
                assert con.execute("select count(*) from raw.export_quarantine where source_file = ?",
                                   [str(path)]).fetchone() == (0,)
                continue
            loaded += 1
            assert result.rows_read == result.rows_loaded + result.rows_quarantined, path
            if not result.skipped:
                in_raw = con.execute("select count(*) from raw.export_dossiers where file_sha256 = ?",
                                     [result.sha256]).fetchone()[0]
                in_quarantine = con.execute(
                    "select count(*) from raw.export_quarantine where file_sha256 = ?",
                    [result.sha256]).fetchone()[0]
                # rows of partitions a later mutant took over may be gone; never more
                assert in_raw <= result.rows_loaded and in_quarantine == result.rows_quarantined
    assert loaded > MUTANTS // 2 and loaded + refused == MUTANTS
    with connect(warehouse, read_only=True) as con:  # still a sound file
        assert con.execute("select count(*) from raw.load_manifest").fetchone()[0] >= 1
