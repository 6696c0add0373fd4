"""seeds/administrative_units.csv (GSO units with their names as published) is complete
for the agencies the reference names, and its versions do not overlap."""

from __future__ import annotations

import csv
import unicodedata
from collections import defaultdict
from datetime import date

from tests.conftest import REPO_ROOT

SEEDS = REPO_ROOT / "dbt_project" / "seeds"


def _rows(name: str) -> list[dict]:
    with open(SEEDS / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _valid_on(rows: list[dict], day: str) -> list[dict]:
    return [r for r in rows if (r["valid_from"] or "0000") <= day <= (r["valid_to"] or "9999")]


def test_khanh_hoa_and_its_nine_districts() -> None:
    units = _rows("administrative_units.csv")
    khanh_hoa = [u for u in _valid_on(units, "2020-01-01") if u["unit_level"] == "province"
                 and u["unit_code"] == "56"]
    assert [(u["unit_code"], u["unit_name"], u["unit_name_ascii"]) for u in khanh_hoa] == [
        ("56", "Khánh Hòa", "Khanh Hoa")]
    districts = {u["unit_code"]: u["unit_name"] for u in units
                 if u["unit_level"] == "district" and u["parent_code"] == "56"}
    assert len(districts) == 9
    assert districts["571"] == "Vạn Ninh" and districts["572"] == "Ninh Hòa"
    all_districts = {u["unit_code"] for u in units if u["unit_level"] == "district"}
    assert all(u["parent_code"] in all_districts for u in units
               if u["unit_level"] == "commune" and (u["valid_from"] or "0000") < "2025-07-01")


def test_provinces_before_and_after_the_2025_reorganisation() -> None:
    provinces = _rows("provinces.csv")
    assert len(_valid_on(provinces, "2025-06-30")) == 63
    after = {u["unit_code"]: u for u in _valid_on(provinces, "2025-07-01")}
    assert len(after) == 34
    assert after["56"]["unit_name"] == "Khánh Hòa" and after["79"]["unit_name"] == "Hồ Chí Minh"
    assert after["01"]["unit_name"] == "Hà Nội" and after["01"]["unit_type"] == "Thành phố Trung ương"
    assert after["91"]["unit_name"] == "An Giang"  # Kiên Giang's code, An Giang's name
    assert [u for u in provinces if u["unit_level"] == "province"] == provinces
    units = _rows("administrative_units.csv")
    assert [u for u in units if u["unit_level"] == "province"] == provinces
    lineage = defaultdict(set)
    for row in _rows("unit_lineage.csv"):
        if row["unit_level"] == "province":
            lineage[row["unit_code"]].add(row["former_unit_code"])
    assert set(lineage) == set(after)
    assert lineage["56"] == {"56", "58"} and lineage["79"] == {"79", "74", "77"}
    assert "26" in lineage["25"] and lineage["01"] == {"01"}
    # every one of the 63 former provinces went into exactly one new one
    formers = [code for codes in lineage.values() for code in codes]
    assert sorted(formers) == sorted(u["unit_code"] for u in _valid_on(provinces, "2025-06-30"))


def test_no_district_after_the_reorganisation() -> None:
    units = _rows("administrative_units.csv")
    assert not [u for u in _valid_on(units, "2025-07-01") if u["unit_level"] == "district"]


def test_names_are_nfc_and_their_ascii_forms_match() -> None:
    for unit in _rows("administrative_units.csv"):
        assert unit["unit_name"] == unicodedata.normalize("NFC", unit["unit_name"])
        assert unit["unit_name_ascii"].isascii(), unit
        # "Phường Đúc" (Huế, 19780) is a ward whose own name starts with "Phường"
        if unit["unit_name"] != "Phường Đúc":
            assert not unit["unit_name"].lower().startswith(unit["unit_type"].lower() + " "), unit


def test_every_agency_names_a_unit_valid_when_it_began() -> None:
    versions = defaultdict(list)
    for unit in _rows("administrative_units.csv"):
        versions[unit["unit_code"]].append(unit)
    units_ascii = {(u["unit_level"], u["unit_name_ascii"]) for vs in versions.values() for u in vs}
    for agency in _rows("agencies.csv"):
        assert ("province", agency["province"]) in units_ascii, agency
        if agency["district"]:
            assert ("district", agency["district"]) in units_ascii, agency
        if agency["level"] == "commune" and agency["gso_code"]:
            began = date.fromisoformat(agency["valid_from"])
            valid = [u for u in versions[agency["gso_code"]]
                     if (not u["valid_from"] or date.fromisoformat(u["valid_from"]) <= began)
                     and (not u["valid_to"] or date.fromisoformat(u["valid_to"]) >= began)]
            assert len(valid) == 1, agency
            assert valid[0]["unit_name"].lower() in agency["agency_name"].lower(), (agency, valid)


def test_versions_of_a_code_do_not_overlap() -> None:
    versions = defaultdict(list)
    for unit in _rows("administrative_units.csv"):
        versions[(unit["unit_code"], unit["unit_level"])].append(unit)
    for code, rows in versions.items():
        spans = sorted((r["valid_from"] or "0000", r["valid_to"] or "9999") for r in rows)
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert end < start, (code, spans)


def test_provinces_seed_names_every_province_the_reports_vocabulary_knows() -> None:
    """seeds/provinces.csv: 63 provinces before the 2025 reorganisation, names as published
    (NFC, diacritics) whose ASCII forms are exactly the extraction vocabulary's names."""
    import yaml

    provinces = _rows("provinces.csv")
    assert {u["unit_level"] for u in provinces} == {"province"}
    assert len({u["unit_code"] for u in provinces}) == 63  # the 34 new ones reuse former codes
    by_ascii = {u["unit_name_ascii"]: u["unit_name"] for u in provinces}
    assert by_ascii["Khanh Hoa"] == "Khánh Hòa" and by_ascii["Quang Ninh"] == "Quảng Ninh"
    assert by_ascii["Ba Ria - Vung Tau"] == "Bà Rịa - Vũng Tàu"
    for unit in provinces:
        assert unit["unit_name"] == unicodedata.normalize("NFC", unit["unit_name"])
        assert unit["unit_name_ascii"].isascii(), unit
    vocab_file = REPO_ROOT / "ingest" / "reports" / "rules" / "vocab.yml"
    vocab = yaml.safe_load(vocab_file.read_text(encoding="utf-8"))
    assert set(vocab["vocab"]["province"]) == set(by_ascii)


def test_communes_after_the_reorganisation_and_their_lineage() -> None:
    units = _rows("administrative_units.csv")
    after = [u for u in _valid_on(units, "2025-07-01") if u["unit_level"] == "commune"]
    assert len(after) == 3321
    khanh_hoa = {u["unit_code"]: u for u in after if u["parent_code"] == "56"}
    assert len(khanh_hoa) == 65
    assert (khanh_hoa["22736"]["unit_type"], khanh_hoa["22736"]["unit_name"]) == ("Đặc khu", "Trường Sa")
    lineage = defaultdict(dict)
    for row in _rows("unit_lineage.csv"):
        if row["unit_level"] == "commune":
            lineage[row["unit_code"]][row["former_unit_code"]] = row["former_unit_name"]
    assert set(lineage["22736"].values()) == {"Trường Sa", "Song Tử Tây", "Sinh Tồn"}
    assert set(lineage["22759"].values()) == {"Kinh Dinh", "Phủ Hà", "Đài Sơn", "Đạo Long"}
    assert "22333" in lineage["22333"]  # Bắc Nha Trang keeps Vĩnh Phước's code
    assert {u["unit_code"] for u in after} == set(lineage)  # every new commune has a former one
    before = {(u["unit_code"], u["unit_level"]) for u in _valid_on(units, "2025-03-01")}
    for row in _rows("unit_lineage.csv"):
        assert (row["former_unit_code"], row["former_unit_level"]) in before, row


def test_keys_are_unique() -> None:
    units = _rows("administrative_units.csv")
    keys = [(u["unit_code"], u["unit_level"], u["valid_from"]) for u in units]
    assert len(keys) == len(set(keys))
    lineage = [(r["unit_code"], r["unit_level"], r["former_unit_code"], r["former_unit_level"])
               for r in _rows("unit_lineage.csv")]
    assert len(lineage) == len(set(lineage))
