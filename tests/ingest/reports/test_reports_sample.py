"""The Khanh Hoa 2020 sample report: figures read off the OCR'd text by hand."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from ingest.reports import Figure, extract_report
from ingest.reports.load import landed_reports
from ingest.settings import REPO_ROOT

SAMPLE = REPO_ROOT / "data/samples/reports/khanh-hoa/2020/khanh_hoa_2020_cchc_report.txt"

L, S, K, U = "level", "sector", "kind", "unit"
V, LOC = {"scope": "vertical"}, {"scope": "local"}

# (metric, qualifiers, value, denominator), each read from the report text.
EXPECTED: list[tuple[str, dict, object, float | None]] = [
    # header
    ("report_number", {}, "43/BC-UBND", None),
    ("report_issued_date", {}, "2021-03-17", None),
    ("report_year", {}, 2020, None),
    # I.3 communication
    ("training_courses", {}, 10, None),
    ("sector_outreach_events", {}, 746, None),
    ("sector_outreach_events", {S: "social_insurance"}, 556, None),
    ("sector_outreach_events", {S: "tax"}, 6, None),
    ("sector_outreach_events", {S: "customs"}, 4, None),
    ("sector_outreach_events", {S: "police"}, 180, None),
    ("portal_articles", {}, 410, None),
    ("portal_visits", {K: "year"}, 488600, None),
    ("portal_visits", {K: "cumulative"}, 2323004, None),
    # II.1 institutions
    ("legal_docs_expired", {K: "full"}, 33, None),
    ("legal_docs_expired", {K: "partial"}, 3, None),
    ("legal_docs_issued", {}, 41, None),
    ("legal_docs_issued", {K: "council_resolution"}, 17, None),
    ("legal_docs_issued", {K: "committee_decision"}, 24, None),
    ("legal_docs_checked", {}, 29, None),
    ("legal_docs_checked", {K: "committee_decision"}, 8, None),
    ("legal_docs_checked", {K: "council_resolution"}, 21, None),
    # II.3 procedures
    ("procedure_list_decisions", {}, 90, None),
    ("internal_process_decisions", {}, 53, None),
    ("internal_processes_approved", {}, 587, None),
    ("procedures_total", {}, 1787, None),
    ("procedures_total", {L: "province"}, 1232, None),
    ("procedures_total", {L: "district"}, 220, None),
    ("procedures_total", {L: "commune"}, 98, None),
    ("procedures_total", {L: "multi_level"}, 237, None),
    ("procedure_processes_total", {}, 2133, None),
    ("procedure_fields_total", {}, 145, None),
    ("procedure_processes_total", {L: "province"}, 1660, None),
    ("procedure_processes_total", {L: "district"}, 289, None),
    ("procedure_processes_total", {L: "commune"}, 184, None),
    ("procedures_linked", {}, 400, None),
    ("procedures_postal_enabled", {}, 1143, None),
    ("procedures_online_enabled", {}, 746, None),
    ("procedures_online_enabled", {"service_level": 3}, 355, None),
    ("procedures_online_enabled", {"service_level": 4}, 391, None),
    ("procedures_online_enabled_pct", {}, 65.27, None),
    ("procedures_online_payment_enabled", {}, 451, None),
    ("procedures_online_payment_enabled_pct", {}, 39.46, None),
    # II.3 dossiers, local scope
    ("dossiers_resolved", LOC, 538531, None),
    ("dossiers_on_time_pct", LOC, 98.00, None),
    ("dossiers_online", LOC, 114312, None),
    ("dossiers_online_pct", LOC, 20.29, None),
    ("dossiers_online_paid", {}, 7806, None),
    ("online_payment_amount", {}, 420485000, None),
    # II.3 dossiers, vertical agencies and their sectors
    ("dossiers_resolved", V, 2971152, None),
    ("dossiers_on_time", V, 2959149, None),
    ("dossiers_on_time_pct", V, 99.60, None),
    ("dossiers_online", V, 2344880, None),
    ("dossiers_online_pct", V, 78.92, None),
    ("dossiers_online", {**V, S: "police"}, 1232465, None),
    ("dossiers_online_pct", {**V, S: "police"}, 82.90, None),
    ("dossiers_online", {**V, S: "customs"}, 35625, None),
    ("dossiers_online_pct", {**V, S: "customs"}, 98.35, None),
    ("dossiers_online", {**V, S: "social_insurance"}, 627986, None),
    ("dossiers_online_pct", {**V, S: "social_insurance"}, 96.13, None),
    ("dossiers_online", {**V, S: "tax"}, 179017, None),
    ("dossiers_online_pct", {**V, S: "tax"}, 53.74, None),
    ("dossiers_online", {**V, S: "treasury"}, 269787, None),
    ("dossiers_online_pct", {**V, S: "treasury"}, 58.42, None),
    ("dossiers_postal", {}, 2690, None),
    ("dossiers_postal_cumulative", {}, 3462, None),
    ("dossiers_postal_pct", {}, 0.48, None),
    # II.4-5 organisation and civil service
    ("inter_agency_bodies_reviewed", {}, 120, None),
    ("units_with_job_positions", {K: "all"}, 101, 119),
    ("units_with_job_positions_pct", {K: "all"}, 84.87, None),
    ("units_with_job_positions", {K: "autonomous"}, 25, 25),
    ("units_with_job_positions_pct", {K: "autonomous"}, 100.0, None),
    ("units_with_job_positions", {K: "non_autonomous"}, 76, 94),
    ("units_with_job_positions_pct", {K: "non_autonomous"}, 80.85, None),
    ("staff_positions_cut", {K: "civil_servant"}, 281, None),
    ("staff_positions_cut", {K: "public_employee"}, 4246, None),
    ("commune_officials_meeting_standard", {K: "all"}, 2628, 2716),
    ("commune_officials_meeting_standard_pct", {K: "all"}, 96.76, None),
    ("commune_officials_meeting_standard", {K: "civil_servant"}, 1320, 1320),
    ("commune_officials_meeting_standard_pct", {K: "civil_servant"}, 100.0, None),
    ("commune_officials_meeting_standard", {K: "cadre"}, 1308, 1396),
    ("commune_officials_meeting_standard_pct", {K: "cadre"}, 94.0, None),
    # II.6 public finance
    ("public_units_budget_cut", {}, 15255, None),
    ("public_units_budget_cut_pct", {}, 4.37, None),
    ("e_invoice_enterprises", {}, 5363, 10479),
    ("e_invoice_enterprises_pct", {}, 51.0, None),
    # II.7 e-government
    ("web_portals", {}, 156, None),
    ("web_portals", {L: "province"}, 20, 21),
    ("web_portals", {L: "district"}, 8, 9),
    ("web_portals", {L: "commune"}, 128, 136),
    ("official_email_accounts", {}, 4829, None),
    ("digital_certificates", {}, 3436, None),
    ("eoffice_agencies", {K: "all"}, 189, None),
    ("eoffice_agencies", {K: "state"}, 180, None),
    ("eoffice_agencies", {K: "party"}, 9, None),
    ("outgoing_documents", {K: "all"}, 312475, None),
    ("outgoing_documents", {K: "electronic"}, 306225, None),
    ("outgoing_documents_pct", {K: "electronic"}, 98.0, None),
    ("outgoing_documents", {K: "fully_electronic"}, 234356, None),
    ("outgoing_documents_pct", {K: "fully_electronic"}, 75.0, None),
    ("e_receipt_units", {}, 111, None),
    # II.8 ISO 9001
    ("iso_systems", {K: "all"}, 166, None),
    ("iso_agencies", {K: "all"}, 276, None),
    ("iso_systems", {L: "province"}, 21, None),
    ("iso_agencies", {L: "province"}, 38, None),
    ("iso_systems", {L: "district"}, 8, None),
    ("iso_agencies", {L: "district"}, 101, None),
    ("iso_systems", {L: "commune"}, 136, None),
    ("iso_agencies", {L: "commune"}, 136, None),
    ("iso_systems", {K: "iso2015_converted"}, 69, None),
    ("iso_agencies", {K: "iso2015_converted"}, 108, None),
    ("iso_systems", {K: "iso2008_remaining"}, 97, None),
    ("iso_agencies", {K: "iso2008_remaining"}, 168, None),
    # III assessment
    ("dossiers_late_pct", LOC, 2.0, None),
    ("par_units_rated_good", {}, 29, 44),
    ("par_units_rated_good_pct", {}, 65.91, None),
    ("par_units_above_90", {}, 12, None),
    ("satisfaction_share", {"group": "citizens", "rating": "very_good"}, 28.4, None),
    ("satisfaction_share", {"group": "citizens", "rating": "good"}, 45.2, None),
    ("satisfaction_share", {"group": "citizens", "rating": "acceptable"}, 24.2, None),
    ("satisfaction_share", {"group": "citizens", "rating": "not_good"}, 2.2, None),
    ("satisfaction_share", {"group": "officials", "rating": "very_good"}, 17.0, None),
    ("satisfaction_share", {"group": "officials", "rating": "good"}, 43.8, None),
    ("satisfaction_share", {"group": "officials", "rating": "acceptable"}, 31.8, None),
    ("satisfaction_share", {"group": "officials", "rating": "not_good"}, 7.4, None),
    ("dossiers_late_pct", {**LOC, L: "district"}, 11.57, None),
    ("dossiers_late_pct", {**LOC, U: "Cam Ranh"}, 22.03, None),
    ("dossiers_late_pct", {**LOC, U: "Van Ninh"}, 22.0, None),
    ("dossiers_late_pct", {**LOC, U: "Nha Trang"}, 12.44, None),
    ("dossiers_late_pct", {**LOC, U: "So Ke hoach va Dau tu"}, 7.05, None),
]


@pytest.fixture(scope="module")
def extraction():
    return extract_report(SAMPLE)


def _key(metric: str, qualifiers: dict, value: object, denominator: float | None) -> tuple:
    return (metric, tuple(sorted(qualifiers.items())), value, denominator)


def _records(figures: list[Figure]) -> list[dict]:
    return [f.to_json() for f in figures]


def test_expected_figures_are_extracted(extraction) -> None:
    assert len(EXPECTED) >= 100
    got = {
        _key(r["metric"], r["qualifiers"], r["value"], r["denominator"]) for r in _records(extraction.figures)
    }
    missing = [e for e in EXPECTED if _key(*e) not in got]
    assert not missing, missing


def test_no_unexpected_figures(extraction) -> None:
    """Every figure the rules emit on the sample is one read by hand: no false hits."""
    expected = {_key(*e) for e in EXPECTED}
    extra = [
        r
        for r in _records(extraction.figures)
        if _key(r["metric"], r["qualifiers"], r["value"], r["denominator"]) not in expected
    ]
    assert not extra, extra


def test_json_shape_and_types(extraction) -> None:
    for record in _records(extraction.figures):
        assert list(record) == ["metric", "value", "unit", "qualifiers", "denominator", "line", "text"]
        if record["metric"] in ("report_number", "report_issued_date"):
            assert isinstance(record["value"], str)
        elif record["unit"] == "percent":
            assert isinstance(record["value"], float)
        else:
            assert isinstance(record["value"], int), record
        assert record["line"] >= 1 and record["text"]
    by = {(r["metric"], tuple(sorted(r["qualifiers"].items()))): r for r in _records(extraction.figures)}
    total = by[("procedures_total", ())]
    assert total["line"] == 263
    assert total["text"].startswith("Tong s6 TTHC hién tai 1a 1.787 thu tuc")
    assert total["text"].endswith("4p dung nhiéu cap 1a 237.")
    # A sentence broken by a page of footnotes is joined back, footnotes left out.
    insurance = by[("dossiers_online", (("scope", "vertical"), ("sector", "social_insurance")))]
    assert insurance["line"] == 321
    assert "Quyét dinh" not in insurance["text"] and "Nganh Bao hiém xi hoi 627.986" in insurance["text"]
    portals = by[("web_portals", (("level", "commune"),))]
    assert portals["line"] == 551 and portals["denominator"] == 136


def test_document_metadata(extraction) -> None:
    doc = extraction.document
    assert doc["province"] == "Khanh Hoa"
    assert doc["report_number"] == "43/BC-UBND"
    assert doc["issued_date"] == dt.date(2021, 3, 17)
    assert doc["report_year"] == 2020
    assert doc["title"].startswith("Tong két cong tic cai cach hanh chinh tinh Khanh Hoa")
    assert doc["line_count"] == 744  # the file ends with a line holding one space
    assert "Quyet dinh so 3994/QD-UBND ngay 31/12/2019" in doc["legal_references"]
    assert "Quyet dinh so 570/QD-UBND ngay 19/3/2020" in doc["legal_references"]
    assert "Ke hoach so 13251/KH-UBND ngay 18/12/2020" in doc["legal_references"]
    assert len(doc["legal_references"]) >= 9
    assert extraction.report_id == __import__("hashlib").sha256(SAMPLE.read_bytes()).hexdigest()
    assert set(doc) == {
        "report_id",
        "source_file",
        "province",
        "report_number",
        "issued_date",
        "report_year",
        "period_start",
        "period_end",
        "title",
        "legal_references",
        "line_count",
        "source_address",
        "province_source",
        "year_source",
        "kind",
        "dateline",
    }
    assert (doc["province_source"], doc["year_source"], doc["kind"]) == ("text", "text", "report")


def test_mentions_cover_every_number(extraction) -> None:
    mentions = extraction.mentions
    assert len(mentions) > 250
    mapped = [m for m in mentions if m.metric]
    assert len(mapped) >= 120
    # Unmapped numbers are there too, e.g. the 22-day Covid campaign figures.
    covid = [m for m in mentions if m.raw_text == "17.779"]
    assert covid and covid[0].metric is None and covid[0].value == 17779 and covid[0].line == 344
    pct = next(m for m in mentions if m.raw_text == "65,27")
    assert pct.unit == "percent" and pct.metric == "procedures_online_enabled_pct"
    assert pct.section == "II.3"
    money = next(m for m in mentions if m.raw_text == "420.485.000")
    assert money.unit == "vnd" and money.value == 420485000
    # Footnote document numbers and page numbers are not mentions.
    assert not any(m.raw_text == "3994" for m in mentions)


def test_extraction_is_fast() -> None:
    extract_report(SAMPLE)  # warm the rule cache
    started = time.perf_counter()
    extract_report(SAMPLE)
    assert time.perf_counter() - started < 1.0


def test_landed_reports(tmp_path: Path) -> None:
    for rel in [
        "khanh-hoa/2020/b.txt",
        "khanh-hoa/2020/a.pdf",
        "khanh-hoa/2020/notes.docx",
        "quang-ninh/2020/scan.png",
        "khanh-hoa/2021/c.txt",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    found = landed_reports(tmp_path, 2020)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "khanh-hoa/2020/a.pdf",
        "khanh-hoa/2020/b.txt",
        "quang-ninh/2020/scan.png",
    ]
    assert landed_reports(tmp_path / "missing", 2020) == []
