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
    assert kinds["department"] == 21 and kinds["district_committee"] == 9
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
