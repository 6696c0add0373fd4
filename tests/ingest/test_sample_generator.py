"""The export generator: calibrated to the report, forms equal to their dossiers,
deterministic, and a manifest that counts every injected defect.

Expected numbers are recomputed from the written files with the csv module (see
sample_checks.py), never taken from the generator's own bookkeeping.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from ingest.exports.sampling import manifest_name
from ingest.sample import (
    COMMITTED_SAMPLES,
    HEADERS,
    GenerationError,
    build_plan,
    generate_exports,
)
from ingest.settings import REPO_ROOT
from tests.ingest.sample_checks import dossier_rows, parse, year_figures

SAMPLE_DIR = REPO_ROOT / "data" / "samples" / "exports"
SEEDS = REPO_ROOT / "dbt_project" / "seeds"
REPORT = {"received": 563400, "resolved": 538531, "late": 10771, "online": 114312,
          "postal": 2690, "paid_online": 7806, "fees_paid_online": 420485000}
DISTRICTS = [f"000.00.3{i}.H34" for i in range(1, 10)]
PORTAL_PREFIX = "cap-xa-"  # a district's commune-level portal export (see generator.py)


def _seed_agencies() -> dict[str, dict[str, str]]:
    with open(SEEDS / "agencies.csv", encoding="utf-8", newline="") as handle:
        return {r["agency_code"]: r for r in csv.DictReader(handle)}


def _clean_rows_by_agency(info: dict) -> dict[str, int]:
    """A manifest entry's clean rows per agency (a portal file holds several)."""
    return info["agencies"] if "agencies" in info else {info["agency"]: info["clean_rows"]}


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 2)


def test_full_year_at_scale_1_equals_the_report(scale1_landing: Path) -> None:
    exports = scale1_landing / "exports"  # `cchc generate-exports --scale 1.0`, once per test run
    figures = year_figures(exports)
    total = figures["all"]
    assert {k: total[k] for k in REPORT} == REPORT
    assert _pct(total["resolved"] - total["late"], total["resolved"]) == 98.00
    assert _pct(total["online"], total["received"]) == 20.29
    assert _pct(total["postal"], total["received"]) == 0.48
    district = Counter()
    for code in DISTRICTS:
        district.update(figures[code])
    assert _pct(district["late"], district["resolved"]) == 11.57
    rates = {code: _pct(figures[code]["late"], figures[code]["resolved"])
             for code in ("000.00.32.H34", "000.00.34.H34", "000.00.31.H34", "000.00.03.H34")}
    assert rates == {"000.00.32.H34": 22.03, "000.00.34.H34": 22.0, "000.00.31.H34": 12.44,
                     "000.00.03.H34": 7.05}
    manifest = json.loads((exports / manifest_name(2020)).read_text(encoding="utf-8"))
    assert sum(f["rows"] for f in manifest["files"].values()) == REPORT["received"]


@pytest.mark.parametrize("scale", [0.01, 0.37, 2.0, 20.0])
def test_other_scales_round_every_total(scale: float) -> None:
    totals = build_plan(2020, scale).totals()
    for key, value in REPORT.items():
        expected = round(scale * (value // 5000 if key == "fees_paid_online" else value))
        assert totals[key] == (expected * 5000 if key == "fees_paid_online" else expected), key


def test_seasonality_tet_and_covid_dips() -> None:
    received = build_plan(2020, 1.0).received.sum(axis=0)
    assert received[1] < 0.8 * received[0]  # February (Tet) below January
    assert received[3] == received.min()  # April 2020: social distancing
    assert received[11] == received.max()


def _agency_dossier_rows(folder: Path, agency: str) -> list[tuple[str, dict[str, str]]]:
    """(month folder, row) of every dossier row naming `agency`, in any file (its own, or
    its district's commune-level portal export)."""
    return [(path.parent.name, row) for path in sorted(folder.glob("*/*/hoso_*.csv"))
            for row in dossier_rows(path) if row["Đơn vị xử lý"] == agency]


def _form_from_dossiers(folder: Path, agency: str, year: int) -> dict[str, dict[str, list[int]]]:
    """Bieu II.06a per month and field, recomputed from the agency's dossier CSVs."""
    rows = [row for _, row in _agency_dossier_rows(folder, agency)]
    forms: dict[str, dict[str, list[int]]] = {}
    for month in range(1, 13):
        start = datetime(year, month, 1)
        end = datetime(year + (month == 12), month % 12 + 1, 1)
        form: dict[str, list[int]] = defaultdict(lambda: [0] * 12)
        for row in rows:
            received = parse(row["Ngày tiếp nhận"])
            due = parse(row["Ngày hẹn trả"], end_of_day=True)
            finished = parse(row["Ngày kết thúc xử lý"])
            if received >= end or (finished is not None and finished < start):
                continue
            f = form[row["Mã lĩnh vực"]]
            new = received >= start
            f[1] += new and row["Kênh thực hiện"] == "2"
            f[2] += new and row["Kênh thực hiện"] != "2"
            f[3] += not new
            f[0] = f[1] + f[2] + f[3]
            if finished is not None and finished < end:
                if row["Trạng thái hồ sơ"] in ("3", "7", "8"):
                    f[11] += 1
                else:
                    f[4] += 1
                    f[5] += finished.date() < due.date()
                    f[7] += finished > due
                    f[6] += finished.date() >= due.date() and finished <= due
            else:
                f[8] += 1
                f[9] += due >= end
                f[10] += due < end
        if form:
            forms[f"{year}-{month:02d}"] = dict(form)
    return forms


def _read_form(path: Path) -> tuple[str, dict[str, list[int]], list[int]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    title, header, body, total = rows[0][0], rows[1], rows[2:-1], rows[-1]
    assert header[:2] == ["Lĩnh vực", "Mã lĩnh vực"] and total[0] == "Tổng cộng"
    return title, {r[1]: [int(v) for v in r[2:]] for r in body}, [int(v) for v in total[2:]]


def test_aggregate_forms_equal_their_dossier_rows(tmp_path: Path) -> None:
    agencies = ["000.00.03.H34", "000.00.32.H34", "000.02.35.H34", "000.04.35.H34", "000.90.31.H34"]
    generate_exports(tmp_path, scale=0.05, shapes="both", agencies=agencies)
    checked = 0
    for agency in agencies:
        expected = _form_from_dossiers(tmp_path, agency, 2020)
        written = {p.parent.name: p for p in (tmp_path / agency).glob("*/bieu_II06a_*.csv")}
        assert sorted(written) == sorted(expected)
        for month, path in written.items():
            title, form, total = _read_form(path)
            assert re.search(rf"TẠI .+ - THÁNG {month[5:]}/{month[:4]}$", title)
            assert form == expected[month]
            assert total == [sum(col) for col in zip(*form.values(), strict=True)]
            for values in form.values():  # received = resolved + closed + pending
                assert values[0] == values[4] + values[11] + values[8]
                assert values[4] == sum(values[5:8]) and values[8] == values[9] + values[10]
            checked += 1
    assert checked > 40
    # Communes file dossiers through their district's portal export (one file a month for
    # the two communes asked for), their forms in their own folders.
    assert not list((tmp_path / "000.02.35.H34").glob("*/hoso_*"))
    portal = sorted(tmp_path.glob(f"{PORTAL_PREFIX}000.00.35.H34/*/hoso_*.csv"))
    assert [p.parent.name for p in portal] == [f"2020-{m:02d}" for m in range(1, 13)]
    # Dien Loc's dossiers stop in February; Binh Loc's start in March.
    assert sorted({m for m, _ in _agency_dossier_rows(tmp_path, "000.02.35.H34")}) == [
        "2020-01", "2020-02"]
    assert min(m for m, _ in _agency_dossier_rows(tmp_path, "000.04.35.H34")) == "2020-03"


def test_xlsx_holds_the_same_rows_as_csv(tmp_path: Path) -> None:
    import openpyxl

    generate_exports(tmp_path, scale=0.02, shapes="both", formats="both", months="3",
                     agencies=["000.00.31.H34", "000.01.31.H34", "000.02.31.H34"])
    assert (tmp_path / f"{PORTAL_PREFIX}000.00.31.H34" / "2020-03").is_dir()
    for csv_path in sorted(tmp_path.rglob("*.csv")):
        book = openpyxl.load_workbook(csv_path.with_suffix(".xlsx"), read_only=True)
        cells = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        if csv_path.name.startswith("hoso_"):
            rows = dossier_rows(csv_path)
            assert cells[0] == list(rows[0])
            assert [r[0] for r in cells[1:]] == [r["Mã hồ sơ"] for r in rows]
            received = [r[7] for r in cells[1:]]
            assert received == [datetime.strptime(r["Ngày tiếp nhận"], "%d/%m/%Y %H:%M") for r in rows]
        else:
            _, form, total = _read_form(csv_path)
            assert {r[1]: list(r[2:]) for r in cells[2:-1]} == form
            assert list(cells[-1][2:]) == total


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_deterministic_for_a_seed_and_months_independent(tmp_path: Path) -> None:
    options = dict(scale=0.01, shapes="both", formats="both", messiness=0.2,
                   agencies=["000.00.02.H34", "000.00.34.H34", "000.01.35.H34"])
    generate_exports(tmp_path / "a", seed=7, **options)
    generate_exports(tmp_path / "b", seed=7, **options)
    generate_exports(tmp_path / "c", seed=8, **options)
    generate_exports(tmp_path / "d", seed=7, months="4-5", **options)
    a, b, c, d = (_tree(tmp_path / x) for x in "abcd")
    assert a == b
    assert {k for k in a if a[k] != c.get(k)} - {manifest_name(2020)}
    months_only = {k: v for k, v in d.items() if k != manifest_name(2020)}
    assert months_only and all(a[k] == v for k, v in months_only.items())


def test_xlsx_refused_above_the_row_limit(tmp_path: Path) -> None:
    with pytest.raises(GenerationError, match="XLSX refused"):
        generate_exports(tmp_path, scale=5, formats="xlsx")
    assert not any(tmp_path.iterdir())


# --- messiness: the manifest counts what a reader finds ---------------------------------


def _decode(data: bytes, encoding: str) -> str:
    if encoding in ("tcvn3", "vni"):
        from ingest.exports.encodings import decode

        return decode(data, encoding)
    return unicodedata.normalize("NFC", data.decode(encoding))


def _count_defects(path: Path, info: dict, known: dict[str, set[str]],
                   codes_elsewhere: set[str]) -> tuple[int, Counter]:
    """Data rows and defects of one dossier file, found by reading it."""
    found: Counter = Counter()
    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        lines = [["" if v is None else (v.strftime("%d/%m/%Y %H:%M") if isinstance(v, datetime)
                  else str(v)) for v in r] for r in book.worksheets[0].iter_rows(values_only=True)]
    else:
        data = path.read_bytes()
        if data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8-sig"
        else:
            try:
                data.decode("utf-8")
                encoding = "utf-8"
            except UnicodeDecodeError:
                encoding = info["encoding"]  # a legacy file: the manifest names it, we check it
                found[encoding] += 1
        lines = list(csv.reader(_decode(data, encoding).splitlines()))
    start = next(i for i, r in enumerate(lines) if r and r[0] == "Mã hồ sơ")
    if start:
        found["title_rows"] = start
    header = lines[start]
    rows = 0
    for cells in lines[start + 1:]:
        if not any(c.strip() for c in cells):
            found["blank_rows"] += 1
            continue
        if cells[0] == "Tổng cộng":
            found["total_row"] += 1
            continue
        rows += 1
        row = dict(zip(header, cells, strict=False))
        received_text = row["Ngày tiếp nhận"]
        received = parse(received_text)
        due = parse(row["Ngày hẹn trả"], end_of_day=True)
        finished = parse(row["Ngày kết thúc xử lý"])
        if not row["Mã hồ sơ"]:
            found["missing_dossier_code"] += 1
        elif row["Mã hồ sơ"] in codes_elsewhere:
            found["duplicate_dossier_code"] += 1
        elif received is None:
            impossible = re.fullmatch(r"(\d\d)/(\d\d)/\d{4}( \d\d:\d\d)?", received_text)
            found["invalid_date_impossible" if impossible and int(impossible[2]) <= 12
                  else "invalid_date_unparseable"] += 1
        elif row["Kênh thực hiện"] not in ("1", "2", "3"):
            found["unknown_channel"] += 1
        elif row["Đơn vị xử lý"] not in known["agencies"]:
            found["unknown_agency"] += 1
        elif row["Mã TTHC"] not in known["procedures"]:
            found["unknown_procedure"] += 1
        elif due is not None and due < received:
            found["due_before_received"] += 1
        elif finished is not None and finished < received:
            found["finished_before_received"] += 1
    return rows, found


def test_messiness_manifest_counts_what_the_files_hold(tmp_path: Path) -> None:
    generate_exports(tmp_path, scale=0.03, messiness=0.25, formats="both", months="1-4",
                     agencies=["000.00.02.H34", "000.00.12.H34", "000.00.31.H34", "000.01.31.H34",
                               "000.02.31.H34", "000.03.31.H34", "000.90.32.H34"])
    manifest = json.loads((tmp_path / manifest_name(2020)).read_text(encoding="utf-8"))
    known = {"agencies": {r["agency_code"] for r in csv.DictReader(open(SEEDS / "agencies.csv"))},
             "procedures": {r["procedure_code"] for r in csv.DictReader(open(SEEDS / "procedures.csv"))}}
    # Codes of each file's clean rows, to recognise a code repeated from another file.
    clean_codes: dict[str, set[str]] = {}
    for rel, info in manifest["files"].items():
        month = info["month"].replace("-", "")
        clean_codes[rel] = {f"{agency}-{month}-{i:06d}"
                            for agency, n in _clean_rows_by_agency(info).items()
                            for i in range(1, n + 1)}
    totals: Counter = Counter()
    for rel, info in manifest["files"].items():
        elsewhere = set().union(*(c for r, c in clean_codes.items()
                                  if r != rel and Path(r).suffix == Path(rel).suffix))
        rows, found = _count_defects(tmp_path / rel, info, known, elsewhere)
        assert rows == info["rows"], rel
        assert dict(found) == info["defects"], rel
        totals.update(found)
    # The Nha Trang portal files mix the three communes asked for, and got defects too.
    portal = {rel: info for rel, info in manifest["files"].items() if rel.startswith(PORTAL_PREFIX)}
    assert len(portal) == 8  # 4 months, CSV and XLSX
    assert all(len(info["agencies"]) == 3 for info in portal.values())
    assert any(info["defects"] for info in portal.values())
    # Every kind occurs at least once at this rate, so each check above was exercised.
    expected_kinds = {"invalid_date_unparseable", "invalid_date_impossible", "due_before_received",
                      "finished_before_received", "unknown_channel", "unknown_agency",
                      "unknown_procedure", "missing_dossier_code", "duplicate_dossier_code",
                      "cp1258", "title_rows", "blank_rows", "total_row"}
    assert expected_kinds <= set(totals), expected_kinds - set(totals)


def test_cp1258_file_reads_back_as_the_same_text(tmp_path: Path) -> None:
    generate_exports(tmp_path / "clean", scale=0.05, months="6", agencies=["000.00.06.H34"])
    generate_exports(tmp_path / "messy", scale=0.05, months="6", agencies=["000.00.06.H34"],
                     messiness=1.0, defects=["cp1258"])
    clean = next((tmp_path / "clean").rglob("*.csv")).read_bytes().decode("utf-8-sig")
    messy = next((tmp_path / "messy").rglob("*.csv")).read_bytes()
    assert unicodedata.normalize("NFC", messy.decode("cp1258")) == clean


# --- the committed sample ----------------------------------------------------------------


def test_committed_sample_regenerates_byte_identical(tmp_path: Path) -> None:
    for sample in COMMITTED_SAMPLES:
        generate_exports(tmp_path, **sample)
    assert _tree(tmp_path) == _tree(SAMPLE_DIR)


def test_committed_sample_layout_and_headers() -> None:
    manifests = [json.loads((SAMPLE_DIR / manifest_name(sample["year"])).read_text(encoding="utf-8"))
                 for sample in COMMITTED_SAMPLES]
    seed = _seed_agencies()
    files = sorted(SAMPLE_DIR.rglob("*.csv"))
    assert len(files) == sum(len(manifest["files"]) for manifest in manifests)
    portal_files = 0
    for path in files:
        folder, month = path.parent.parent.name, path.parent.name
        assert path.name == f"hoso_{folder}_{month.replace('-', '')}.csv"
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle))
        assert header[: len(HEADERS)] == HEADERS
        agencies = {row["Đơn vị xử lý"] for row in dossier_rows(path)}
        if folder == f"{PORTAL_PREFIX}H34":
            # since 2025-07-01 the province's communes together (no district)
            assert month >= "2025-07"
            assert all(seed[a]["kind"] == "commune_committee" and not seed[a]["district"]
                       for a in agencies), path
            portal_files += 1
        elif folder.startswith(PORTAL_PREFIX):
            # A district's communes together: commune committees of that district only.
            district = folder.removeprefix(PORTAL_PREFIX)
            assert seed[district]["kind"] == "district_committee"
            assert all(seed[a]["kind"] == "commune_committee"
                       and a.split(".")[2] == district.split(".")[2] for a in agencies), path
            portal_files += 1
        else:
            assert agencies == {folder} and seed[folder]["kind"] != "commune_committee", path
    # One portal file per district (or, since 2025-07, province) and month at most,
    # whatever the number of communes.
    assert 0 < portal_files <= 9 * 12 + 9 * 3 + 3
    assert manifests[0]["totals_full_year"]["received"] == round(0.01 * REPORT["received"])
