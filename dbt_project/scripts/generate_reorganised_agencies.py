"""Bring seeds/agencies.csv through the 2025 reorganisation of Khánh Hòa's agencies.

Four changes, each a dated end of old agency versions and the start of new ones (the seed
keeps both, so dim_agencies is type 2 and every dossier joins to the unit of its date):

0. Commune mergers before the reform (the GSO list's history, seed administrative_units):
   a commune committee ends with its unit; a unit version that begins later (2024-11-01:
   Tân Tiến, from Phước Tiến, Phước Tân and Tân Lập) gets a committee of its own, the
   predecessor under the same GSO code pointing at it. Units absorbed into one that kept
   its name and code leave no trace in the list: those committees end without successor.

1. Provincial departments merged on 2025-03-01 (Decree 45/2025/ND-CP on the provinces'
   specialised agencies; the pairs below are the decree's national pattern and the date
   the one most provinces used, not checked against Khánh Hòa's own resolutions): an
   absorbed department ends on 2025-02-28 with the absorbing one as successor; a merger
   that renamed the department opens a new agency.
2. District level abolished on 2025-07-01 (Resolution 202/2025/QH15 and the Law on Local
   Government 2025): district People's Committees end on 2025-06-30, without successor.
3. Commune-level units reorganised on 2025-07-01 (the National Assembly Standing
   Committee's resolution for Khánh Hòa, with former Ninh Thuận): every commune committee
   valid on 2025-06-30 ends that day, its successor the committee of the new unit it went
   to (seed unit_lineage); every new commune-level unit of the province (seed
   administrative_units, valid from 2025-07-01) gets a committee, coded 000.nn.60.H34 in
   GSO code order (60: no district).

Idempotent: run it again after the unit seeds change and it rewrites the same rows.

    python dbt_project/scripts/generate_reorganised_agencies.py
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
PROVINCE_CODE, PROVINCE_ASCII = "56", "Khanh Hoa"
DEPARTMENTS_MERGED = "2025-03-01"
TWO_TIER = "2025-07-01"
LAST_DAY_BEFORE = {DEPARTMENTS_MERGED: "2025-02-28", TWO_TIER: "2025-06-30"}
NEW_COMMUNE_BUCKET = "60"

# absorbed department -> the department that took it over (Decree 45/2025/ND-CP pairs)
ABSORBED = {
    "000.00.03.H34": "000.00.04.H34",  # Kế hoạch và Đầu tư -> Tài chính
    "000.00.12.H34": "000.00.05.H34",  # Giao thông vận tải -> Xây dựng
    "000.00.07.H34": "000.00.16.H34",  # Thông tin và Truyền thông -> Khoa học và Công nghệ
    "000.00.11.H34": "000.00.01.H34",  # Lao động - Thương binh và Xã hội -> Nội vụ
    "000.00.13.H34": "000.00.22.H34",  # Nông nghiệp và PTNT -> Nông nghiệp và Môi trường
    "000.00.06.H34": "000.00.22.H34",  # Tài nguyên và Môi trường -> Nông nghiệp và Môi trường
    "000.00.14.H34": "000.00.23.H34",  # Văn hóa và Thể thao -> Văn hóa, Thể thao và Du lịch
    "000.00.15.H34": "000.00.23.H34",  # Du lịch -> Văn hóa, Thể thao và Du lịch
    "000.00.20.H34": "000.00.24.H34",  # Ban Dân tộc -> Sở Dân tộc và Tôn giáo
}
NEW_DEPARTMENTS = {
    "000.00.22.H34": "Sở Nông nghiệp và Môi trường",
    "000.00.23.H34": "Sở Văn hóa, Thể thao và Du lịch",
    "000.00.24.H34": "Sở Dân tộc và Tôn giáo",
}


def read(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def committee_name(unit: dict[str, str]) -> str:
    """'UBND phường Bắc Nha Trang', 'UBND đặc khu Trường Sa' (the type in lower case, as
    the seed writes committees)."""
    return f"UBND {unit['unit_type'][0].lower()}{unit['unit_type'][1:]} {unit['unit_name']}"


def reorganise(agencies: list[dict[str, str]], units: list[dict[str, str]],
               lineage: list[dict[str, str]]) -> list[dict[str, str]]:
    generated = set(NEW_DEPARTMENTS) | {a["agency_code"] for a in agencies
                                       if a["agency_code"].split(".")[2] == NEW_COMMUNE_BUCKET}
    kept = [dict(a) for a in agencies if a["agency_code"] not in generated]
    new_units = sorted((u for u in units if u["unit_level"] == "commune"
                        and u["parent_code"] == PROVINCE_CODE and u["valid_from"] == TWO_TIER),
                       key=lambda u: u["unit_code"])
    if not new_units:
        raise SystemExit("seeds/administrative_units.csv has no commune-level unit of province "
                         f"{PROVINCE_CODE} valid from {TWO_TIER}: run generate_units_seed.py first")
    new_code = {u["unit_code"]: f"000.{n:02d}.{NEW_COMMUNE_BUCKET}.H34"
                for n, u in enumerate(new_units, start=1)}
    # former commune code -> the new units formed from it (a split commune has several)
    successors: dict[str, list[dict[str, str]]] = {}
    for row in lineage:
        if row["unit_level"] == "commune" and row["unit_code"] in new_code:
            successors.setdefault(row["former_unit_code"], []).append(row)

    def end(agency: dict[str, str], since: str, successor: str = "") -> None:
        if not agency["valid_to"] or agency["valid_to"] >= LAST_DAY_BEFORE[since]:
            agency["valid_to"] = LAST_DAY_BEFORE[since]
            agency["successor_code"] = successor

    kept = follow_commune_history(kept, units)
    for agency in kept:
        if agency["province"] != PROVINCE_ASCII:
            continue
        if agency["agency_code"] in ABSORBED:
            end(agency, DEPARTMENTS_MERGED, ABSORBED[agency["agency_code"]])
        elif agency["kind"] == "district_committee":
            end(agency, TWO_TIER)
        elif agency["kind"] == "commune_committee" and (
                not agency["valid_to"] or agency["valid_to"] >= LAST_DAY_BEFORE[TWO_TIER]):
            went_to = successors.get(agency["gso_code"], [])
            # a split commune: the part not marked partial, else the lowest code
            went_to.sort(key=lambda r: (r["is_part"] == "true", r["unit_code"]))
            end(agency, TWO_TIER, new_code[went_to[0]["unit_code"]] if went_to else "")
    added = [{"agency_code": code, "agency_name": name, "level": "province",
              "kind": "department", "province": PROVINCE_ASCII, "district": "",
              "valid_from": DEPARTMENTS_MERGED, "valid_to": "", "successor_code": "",
              "gso_code": ""} for code, name in NEW_DEPARTMENTS.items()]
    added += [{"agency_code": new_code[u["unit_code"]], "agency_name": committee_name(u),
               "level": "commune", "kind": "commune_committee", "province": PROVINCE_ASCII,
               "district": "", "valid_from": TWO_TIER, "valid_to": "", "successor_code": "",
               "gso_code": u["unit_code"]} for u in new_units]
    return kept + added


def follow_commune_history(agencies: list[dict[str, str]],
                           units: list[dict[str, str]]) -> list[dict[str, str]]:
    """Step 0: commune committees follow their unit's versions up to 2025-06-30."""
    committees = {a["gso_code"]: a["agency_code"] for a in agencies
                  if a["kind"] == "district_committee" and a["province"] == PROVINCE_ASCII}
    district_of = {a["agency_code"]: a["district"] for a in agencies
                   if a["kind"] == "district_committee"}
    versions = sorted((u for u in units if u["unit_level"] == "commune"
                       and u["parent_code"] in committees and u["valid_from"] < TWO_TIER),
                      key=lambda u: (u["unit_code"], u["valid_from"]))
    out = [dict(a) for a in agencies]
    for unit in versions:
        ran = [a for a in out if a["kind"] == "commune_committee" and a["gso_code"] == unit["unit_code"]
               and (not a["valid_to"] or a["valid_to"] >= (unit["valid_from"] or "0"))
               and (not unit["valid_to"] or a["valid_from"] <= unit["valid_to"])]
        if ran:
            for agency in ran:  # ends with its unit version (the reform's end is step 3)
                if unit["valid_to"] and unit["valid_to"] < LAST_DAY_BEFORE[TWO_TIER] and (
                        not agency["valid_to"] or agency["valid_to"] > unit["valid_to"]):
                    agency["valid_to"] = unit["valid_to"]
            continue
        district = committees[unit["parent_code"]]
        taken = {a["agency_code"].split(".")[1] for a in out
                 if a["agency_code"].split(".")[2] == district.split(".")[2]}
        number = next(n for n in range(1, 90) if f"{n:02d}" not in taken)
        code = f"000.{number:02d}.{district.split('.')[2]}.H34"
        for agency in out:  # the same code's earlier version hands over
            if (agency["kind"] == "commune_committee" and agency["gso_code"] == unit["unit_code"]
                    and agency["valid_to"] and agency["valid_to"] < unit["valid_from"]):
                agency["successor_code"] = code
        out.append({"agency_code": code, "agency_name": committee_name(unit), "level": "commune",
                    "kind": "commune_committee", "province": PROVINCE_ASCII,
                    "district": district_of[district], "valid_from": unit["valid_from"] or "2016-01-01",
                    "valid_to": unit["valid_to"], "successor_code": "", "gso_code": unit["unit_code"]})
    return out


def render(rows: list[dict[str, str]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main() -> int:
    agencies = read("agencies.csv")
    rows = reorganise(agencies, read("administrative_units.csv"), read("unit_lineage.csv"))
    (SEEDS / "agencies.csv").write_text(render(rows, list(agencies[0])), encoding="utf-8")
    print(f"wrote seeds/agencies.csv: {len(rows)} agency versions "
          f"({len(rows) - len(agencies)} added)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
