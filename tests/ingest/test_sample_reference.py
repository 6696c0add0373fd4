"""Reference data (dbt seeds) agrees with the Khanh Hoa 2020 report's counts."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from ingest.sample.reference import write_seeds
from ingest.settings import REPO_ROOT

SEEDS = REPO_ROOT / "dbt_project" / "seeds"


def _rows(name: str) -> list[dict[str, str]]:
    with open(SEEDS / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_procedure_catalog_matches_the_report() -> None:
    procedures = _rows("procedures")
    # "Tong so TTHC hien tai la 1.787 thu tuc, trong do cap tinh la 1.232, cap huyen la 220,
    #  cap xa la 98, ap dung nhieu cap la 237"
    assert len(procedures) == 1787
    assert Counter(p["level"] for p in procedures) == {
        "province": 1232, "district": 220, "commune": 98, "multi_level": 237}
    # "nop ho so truc tuyen la 746 quy trinh (muc do 3 la 355, muc do 4 la 391)"
    levels = Counter(p["service_level"] for p in procedures)
    assert (levels["3"], levels["4"], levels["3"] + levels["4"]) == (355, 391, 746)
    assert levels["2"] == 1787 - 746
    # "thanh toan truc tuyen ... 451 quy trinh", "dich vu buu chinh cong ich la 1.143 quy trinh"
    paid = [p for p in procedures if p["is_online_payment_enabled"] == "true"]
    assert len(paid) == 451 and all(p["service_level"] in ("3", "4") for p in paid)
    assert sum(p["is_postal_enabled"] == "true" for p in procedures) == 1143
    # "2.133 quy trinh TTHC chi tiet tren 145 linh vuc"
    fields = _rows("fields")
    assert len(fields) == 145 == len({f["field_code"] for f in fields})
    assert {p["field_code"] for p in procedures} <= {f["field_code"] for f in fields}


def test_procedure_codes_are_national_format_unique_and_names_unique() -> None:
    procedures = _rows("procedures")
    codes = [p["procedure_code"] for p in procedures]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[12]\.\d{6}", c) for c in codes)
    assert all(c.startswith("2.") == (p["level"] == "multi_level")
               for c, p in zip(codes, procedures, strict=True))
    names = [p["procedure_name"] for p in procedures]
    assert len(set(names)) == len(names)
    assert all(n[0].isupper() for n in names)


def test_seeds_rebuild_byte_identical(tmp_path: Path) -> None:
    for path in write_seeds(tmp_path):
        assert path.read_bytes() == (SEEDS / path.name).read_bytes(), path.name


def test_agencies_keep_codes_and_carry_history() -> None:
    agencies = {a["agency_code"]: a for a in _rows("agencies")}
    assert {a["province"] for a in agencies.values()} == {"Khanh Hoa"}
    kinds = Counter(a["kind"] for a in agencies.values())
    # 21 departments, and 3 formed by the 2025-03-01 mergers
    assert kinds["department"] == 24 and kinds["district_committee"] == 9
    assert kinds["land_office"] == 8 and kinds["commune_committee"] >= 14
    # Codes other code and tests rely on.
    for code in ("000.00.02.H34", "000.00.03.H34", "000.00.06.H34", "000.00.31.H34",
                 "000.00.32.H34", "000.00.34.H34", "000.02.35.H34", "000.04.35.H34",
                 "000.00.81.H34", "000.00.85.H34"):
        assert code in agencies
    # Dien Loc + Dien Binh -> Binh Loc on 2020-03-01.
    for old in ("000.02.35.H34", "000.03.35.H34"):
        assert (agencies[old]["valid_to"], agencies[old]["successor_code"]) == (
            "2020-02-29", "000.04.35.H34")
    assert agencies["000.04.35.H34"]["valid_from"] == "2020-03-01"
    # Tax: 7 district sub-departments merged into 3 regional ones; Nha Trang kept.
    subs = [a for c, a in agencies.items() if c.startswith("000.91.")]
    merged = [a for a in subs if a["valid_to"]]
    assert len(merged) == 7 and len({a["successor_code"] for a in merged}) == 3
    assert all(agencies[a["successor_code"]]["valid_from"] > a["valid_to"] for a in merged)
    assert agencies["000.91.31.H34"]["valid_to"] == ""
    # Every successor exists; no code is reused.
    assert all(a["successor_code"] in agencies for a in agencies.values() if a["successor_code"])


# The 2020 commune-level units per district (GSO list, see dbt_project/seeds/README.md):
# 140 until Dien Loc and Dien Binh merged into Binh Loc (2020-03-01), 139 after.
COMMUNES_2020 = {"31": 27, "32": 15, "33": 27, "34": 13, "35": 18, "36": 14, "37": 14, "38": 8,
                 "39": 3}
ORIGINAL_COMMUNES = {  # codes of the first seed: tests and committed data use them
    "000.01.31.H34": "UBND phường Lộc Thọ", "000.02.31.H34": "UBND phường Vĩnh Hải",
    "000.03.31.H34": "UBND xã Vĩnh Lương", "000.01.32.H34": "UBND phường Cam Nghĩa",
    "000.02.32.H34": "UBND xã Cam Thịnh Đông", "000.01.33.H34": "UBND phường Ninh Hiệp",
    "000.01.34.H34": "UBND thị trấn Vạn Giã", "000.02.34.H34": "UBND xã Vạn Thắng",
    "000.01.35.H34": "UBND thị trấn Diên Khánh", "000.02.35.H34": "UBND xã Diên Lộc",
    "000.03.35.H34": "UBND xã Diên Bình", "000.04.35.H34": "UBND xã Bình Lộc",
    "000.01.36.H34": "UBND thị trấn Cam Đức", "000.01.37.H34": "UBND thị trấn Khánh Vĩnh",
    "000.01.38.H34": "UBND thị trấn Tô Hạp", "000.01.39.H34": "UBND thị trấn Trường Sa",
}


def _valid_on(row: dict[str, str], day: str) -> bool:
    return row["valid_from"] <= day and (not row["valid_to"] or row["valid_to"] >= day)


def test_communes_are_the_2020_units_with_gso_codes() -> None:
    import unicodedata

    agencies = _rows("agencies")
    communes = [a for a in agencies if a["kind"] == "commune_committee"]
    assert {a["agency_code"]: a["agency_name"] for a in communes
            if a["agency_code"] in ORIGINAL_COMMUNES} == ORIGINAL_COMMUNES
    at_year_end = [a for a in communes if _valid_on(a, "2020-12-31")]
    assert Counter(a["agency_code"].split(".")[2] for a in at_year_end) == COMMUNES_2020
    assert len(at_year_end) == 139 and len([a for a in communes if _valid_on(a, "2020-01-01")]) == 140
    # The report's "136 UBND cap xa" leaves out Truong Sa's three island units.
    assert len([a for a in at_year_end if a["district"] != "Truong Sa"]) == 136
    committees = {a["agency_code"].split(".")[2]: a for a in agencies
                  if a["kind"] == "district_committee"}
    for day in ("2020-01-01", "2020-12-31"):
        valid = [a for a in communes if _valid_on(a, day)]
        assert len({a["gso_code"] for a in valid}) == len(valid), day  # GSO codes unique per day
        assert len({(a["district"], a["agency_name"]) for a in valid}) == len(valid), day
    for a in communes:
        district = a["agency_code"].split(".")[2]
        assert unicodedata.normalize("NFC", a["agency_name"]) == a["agency_name"]
        assert (a["level"], a["province"]) == ("commune", "Khanh Hoa")
        if district == "60":  # the two-tier system's communes (from 2025-07-01, no district)
            assert re.fullmatch(r"UBND (xã|phường|đặc khu) \S.*", a["agency_name"])
            assert (a["district"], a["valid_from"]) == ("", "2025-07-01")
            assert re.fullmatch(r"22[3-9]\d\d", a["gso_code"])  # Khanh Hoa's and Ninh Thuan's
            continue
        assert re.fullmatch(r"000\.(0[1-9]|[1-8]\d)\.3[1-9]\.H34", a["agency_code"])
        assert re.fullmatch(r"UBND (xã|phường|thị trấn) \S.*", a["agency_name"])
        assert a["district"] == committees[district]["district"]
        assert re.fullmatch(r"22[3-7]\d\d", a["gso_code"])  # Khanh Hoa's GSO commune range
    # Sequence numbers run 01.. without gaps inside each district (and the 65 of 2025-07-01).
    for district in [*COMMUNES_2020, "60"]:
        numbers = sorted(int(a["agency_code"].split(".")[1]) for a in communes
                         if a["agency_code"].split(".")[2] == district)
        assert numbers == list(range(1, len(numbers) + 1)), district
    # Binh Loc kept Dien Binh's GSO code; district committees carry their district's code.
    by_code = {a["agency_code"]: a for a in agencies}
    assert by_code["000.04.35.H34"]["gso_code"] == by_code["000.03.35.H34"]["gso_code"] == "22696"
    assert {c: a["gso_code"] for c, a in committees.items()} == {
        "31": "568", "32": "569", "33": "572", "34": "571", "35": "574", "36": "570",
        "37": "573", "38": "575", "39": "576"}
