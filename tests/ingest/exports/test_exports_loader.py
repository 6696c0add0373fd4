"""Loading the committed sample: every row loaded or quarantined, idempotent, replaceable."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ingest.exports import ExportLoadResult, landed_exports, load_export, load_exports
from tests.ingest.exports.conftest import SAMPLE_DIR

CODE, RECEIVED, DUE, FINISHED, CHANNEL, STATUS = (
    "Mã hồ sơ", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày kết thúc xử lý", "Kênh thực hiện",
    "Trạng thái hồ sơ")


def _parse(text: str, end_of_day: bool = False) -> datetime | None:
    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y"):
        try:
            value = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if fmt == "%d/%m/%Y" and end_of_day:
            value += timedelta(seconds=86399)
        return value
    return None


def expected_quarantine(path: Path) -> tuple[int, dict[int, str]]:
    """Rows read and {row: reason}, computed from the CSV without the loader's SQL."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    reasons: dict[int, str] = {}
    for number, row in enumerate(rows, 1):
        received = _parse(row[RECEIVED])
        due = _parse(row[DUE], end_of_day=True) if row[DUE] else None
        finished = _parse(row[FINISHED]) if row[FINISHED] else None
        if not row[CODE].strip():
            reasons[number] = "missing dossier code"
        elif received is None:
            reasons[number] = "invalid received date"
        elif row[CHANNEL] not in {"1", "2", "3"}:
            reasons[number] = f"invalid channel: {row[CHANNEL].strip()}"
        elif row[STATUS] not in {str(s) for s in range(1, 11)}:
            reasons[number] = f"invalid status: {row[STATUS].strip()}"
        elif due is not None and due < received:
            reasons[number] = "due before received"
        elif finished is not None and finished < received:
            reasons[number] = "finished before received"
    return len(rows), reasons


def expected_partitions(path: Path) -> list[str]:
    """agency/yyyy-mm of every row with an agency and a readable received date."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return sorted({f"{row['Đơn vị xử lý'].strip()}/{received:%Y-%m}" for row in rows
                   if row["Đơn vị xử lý"].strip() and (received := _parse(row[RECEIVED]))})


def _snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """Warehouse contents, without the load time stamp."""
    return {
        "dossiers": con.execute("select * from raw.export_dossiers order by all").fetchall(),
        "quarantine": con.execute("select * from raw.export_quarantine order by all").fetchall(),
        "manifest": con.execute(
            "select * exclude (loaded_at) from raw.load_manifest order by all").fetchall(),
    }


def test_sample_every_row_loaded_or_quarantined(con: duckdb.DuckDBPyConnection,
                                                sample_files: list[Path]) -> None:
    totals: Counter[str] = Counter()
    # One batch, as the monthly DAG loads a month's files (each still gets its own result).
    for path, result in zip(sample_files, load_exports(con, sample_files), strict=True):
        read, reasons = expected_quarantine(path)
        assert result.rows_read == read == result.rows_loaded + result.rows_quarantined
        assert result.rows_quarantined == len(reasons)
        assert result.quarantine_reasons == dict(Counter(reasons.values()))
        got = dict(con.execute(
            "select source_row, reason from raw.export_quarantine where file_sha256 = ?",
            [result.sha256]).fetchall())
        assert got == reasons
        # Partitions come from the rows (agency, received month), not from the landing
        # folder: a commune-level portal export holds several communes of a district.
        assert result.partitions == expected_partitions(path)
        if not path.parent.parent.name.startswith("cap-xa-"):
            assert result.partitions == [f"{path.parent.parent.name}/{path.parent.name}"]
        totals.update(reasons.values())
        totals["read"] += read
    manifest = con.execute(
        "select count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined) "
        "from raw.load_manifest where source_kind = 'dossiers'").fetchone()
    generated = generation_manifest()["files"]
    assert manifest[0] == len(sample_files) == len(generated)
    assert manifest[1] == totals["read"] == manifest[2] + manifest[3]
    # Every defect the generator says it injected is quarantined, and nothing else.
    assert manifest[3] == sum(f["rows"] - f["clean_rows"] for f in generated.values())
    loaded = con.execute("select count(*) from raw.export_dossiers").fetchone()[0]
    assert loaded == manifest[2]


def generation_manifest() -> dict:
    """The committed sample's manifests (one per year generated), their files together."""
    files: dict = {}
    for path in sorted(SAMPLE_DIR.glob("generation_manifest_*.json")):
        files.update(json.loads(path.read_text(encoding="utf-8"))["files"])
    return {"files": files}


def test_loaded_values_are_typed_and_nfc(con: duckdb.DuckDBPyConnection,
                                         sample_files: list[Path]) -> None:
    path = next(p for p in sample_files if "000.00.31.H34/2020-05" in p.as_posix())
    load_export(con, path)
    with open(path, encoding="utf-8", newline="") as handle:
        first = next(csv.DictReader(handle))
    row = con.execute(
        "select dossier_code, procedure_name, channel, status, received_at, extra_columns "
        "from raw.export_dossiers where source_row = 1").fetchone()
    assert row[0] == first[CODE]
    assert row[1] == first["Tên TTHC"]
    assert row[2] == int(first[CHANNEL]) and row[3] == int(first[STATUS])
    assert row[4] == datetime.strptime(first[RECEIVED], "%d/%m/%Y %H:%M")
    assert json.loads(row[5]) == {"Ghi chú": first["Ghi chú"] or None}


def test_same_file_twice_changes_nothing(con: duckdb.DuckDBPyConnection,
                                         sample_files: list[Path]) -> None:
    files = [p for p in sample_files if p.parent.name == "2020-07"]
    first = [load_export(con, p) for p in files]
    before = _snapshot(con)
    second = [load_export(con, p) for p in files]
    assert _snapshot(con) == before
    assert all(r.skipped for r in second) and not any(r.skipped for r in first)
    assert [(r.rows_read, r.rows_loaded, r.partitions) for r in first] == [
        (r.rows_read, r.rows_loaded, r.partitions) for r in second]


def test_corrected_file_replaces_its_partition(con: duckdb.DuckDBPyConnection,
                                               sample_files: list[Path], tmp_path: Path) -> None:
    # A Cam Ranh file the generator gave exactly one defective row, and the next month.
    defective = next(name for name, f in sorted(generation_manifest()["files"].items())
                     if name.startswith("000.00.32.H34/") and f["rows"] - f["clean_rows"] == 1)
    original = next(p for p in sample_files if p.as_posix().endswith(defective))
    month = original.parent.name
    next_month = f"{month[:5]}{int(month[5:]) + 1:02d}"
    other = next(p for p in sample_files if f"000.00.32.H34/{next_month}" in p.as_posix())
    old = load_export(con, original)
    load_export(con, other)
    assert old.rows_quarantined == 1
    with open(original, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    _, bad = expected_quarantine(original)
    kept = [r for i, r in enumerate(rows, 1) if i not in bad][:-2]  # fixed, and 2 withdrawn
    corrected = tmp_path / "hoso_corrected.csv"
    with open(corrected, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(kept)
    new = load_export(con, corrected)
    assert not new.skipped and new.partitions == old.partitions
    assert (new.rows_loaded, new.rows_quarantined) == (len(kept), 0)
    in_partition = con.execute(
        "select file_sha256, count(*) from raw.export_dossiers "
        "where partition_agency = '000.00.32.H34' and partition_month = ? group by 1", [month]
    ).fetchall()
    assert in_partition == [(new.sha256, len(kept))]
    # The replaced file's quarantine and manifest entry go with it; February is untouched.
    assert con.execute("select count(*) from raw.export_quarantine").fetchone()[0] == 0
    manifest = con.execute("select source_file from raw.load_manifest order by 1").fetchall()
    assert manifest == sorted([(str(corrected),), (str(other),)])
    # Loading the original again makes it current again.
    again = load_export(con, original)
    assert not again.skipped and again.rows_loaded == old.rows_loaded


def test_agency_and_period_overrides(con: duckdb.DuckDBPyConnection,
                                     sample_files: list[Path]) -> None:
    path = sample_files[0]
    result = load_export(con, path, agency="000.00.99.H34", period="2019-12")
    assert result.partitions == ["000.00.99.H34/2019-12"]
    with pytest.raises(ValueError, match="yyyy-mm"):
        load_export(con, sample_files[1], period="12/2019")


def test_landed_exports_lists_one_month(sample_files: list[Path]) -> None:
    root = sample_files[0].parent.parent.parent
    files = landed_exports(root, "2020-02")
    assert files == sorted(p for p in sample_files if p.parent.name == "2020-02")
    assert len(files) == sum(1 for f in generation_manifest()["files"].values() if f["month"] == "2020-02")
    # Binh Loc only from March (its dossiers come in Dien Khanh's commune-level portal file)
    assert not [p for p in files if "000.04.35.H34" in p.read_text(encoding="utf-8-sig")]
    assert landed_exports(root, "2021-01") == []


def test_result_to_json_round_trips(con: duckdb.DuckDBPyConnection,
                                    sample_files: list[Path]) -> None:
    result = load_export(con, sample_files[0])
    data = json.loads(json.dumps(result.to_json()))
    assert ExportLoadResult(**data) == result
