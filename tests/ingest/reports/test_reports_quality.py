"""Extraction quality on real third-party texts (corpus/real, copied from
shared/data/reports/real with its hand-read gold.csv): the floor the quality benchmark
(bench/bench_report_quality.py) must keep, and the phrasing families one by one."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.reports import extract_text
from ingest.reports.quality import score_corpus, totals

CORPUS = Path(__file__).parent / "corpus" / "real"
DEFAULT_SCOPE = ("scope", "local")


def test_corpus_recall_and_wrong_values_floor() -> None:
    scores = score_corpus(CORPUS)
    total = totals(scores)
    assert total["texts"] == 10 and total["gold"] == 56
    report = {s.file: (s.missing, s.wrong) for s in scores if s.missing or s.wrong}
    assert total["recall"] >= 0.90, report
    assert total["wrong_share_of_found"] <= 0.02, report


def _figures(text: str, **facts) -> set[tuple]:
    extraction = extract_text(text, **facts)
    return {
        (f.metric, tuple(sorted((k, str(v)) for k, v in f.qualifiers.items() if (k, v) != DEFAULT_SCOPE)),
         f.value, f.denominator)
        for f in extraction.figures
    }


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # count after its cue, count before its cue, the subject first
        ("Năm 2020, toàn tỉnh tiếp nhận 659.245 hồ sơ.", ("dossiers_received", (), 659245, None)),
        ("Số hồ sơ tiếp nhận là 659.245.", ("dossiers_received", (), 659245, None)),
        ("Có 8.960 hồ sơ giải quyết đúng và trước hạn.", ("dossiers_on_time", (), 8960, None)),
        # a part and its share in parentheses
        ("Đã giải quyết 643.272 hồ sơ, trong đó đúng và trước hạn 635.593 (98,81%).",
         ("dossiers_on_time_pct", (), 98.81, None)),
        # counts in thousands
        ("Trung tâm đã tiếp nhận 10,18 ngàn hồ sơ các loại.", ("dossiers_received", (), 10180, None)),
        # online, without diacritics
        ("Da tiep nhan 114.312 ho so truc tuyen, chiem ty le 20,29%.",
         ("dossiers_online_pct", (), 20.29, None)),
        # x/y
        ("Số hồ sơ được giải quyết là 1.456/1.625.", ("dossiers_resolved", (), 1456, 1625)),
        # rank and score, of the text's own province and of another one
        ("Chỉ số PAR INDEX năm 2021 của tỉnh Nam Định đạt 86,4%, xếp thứ 40/63.",
         ("par_index_rank", (), 40, 63)),
        ("Chỉ số SIPAS năm 2023: tỉnh Gia Lai đứng thứ 19; đứng thứ 2 tỉnh Thái Nguyên đạt 90,29%.",
         ("sipas_rank", (("province", "Thai Nguyen"),), 2, None)),
        # a rate named before its list of cues
        ("Tỷ lệ giải quyết hồ sơ đúng hạn, trước hạn năm 2023 đạt 99,5%.",
         ("dossiers_on_time_pct", (), 99.5, None)),  # 2023: the text's own year
        # a ministry in the ministries' ranking
        ("Chỉ số CCHC năm 2023 của các bộ: Bộ Tư pháp dẫn đầu với 92,5%; "
         "đứng thứ 2 là Bộ Ngoại giao đạt 91,2%.",
         ("par_index_rank", (("ministry", "Bo Ngoai giao"),), 2, None)),
        # the national average
        ("Chỉ số PAR INDEX năm 2023 của các tỉnh có giá trị trung bình đạt 86,98%.",
         ("par_index_score", (("stat", "average"),), 86.98, None)),
    ],
)
def test_phrasing_families(sentence: str, expected: tuple) -> None:
    assert expected in _figures(sentence, province="Gia Lai"), _figures(sentence, province="Gia Lai")


@pytest.mark.parametrize(
    "sentence",
    [
        "Số lượng HS tiếp nhận giảm 142 HS so với tháng 9-2020.",  # a change
        "Các cơ quan tiếp nhận nhiều là: Công an tỉnh 3,8 ngàn HS.",  # one agency's count
        "Đa số hồ sơ được tiếp nhận trực tiếp (7,7 ngàn HS).",  # in person: not catalogued
        "Chỉ số CCHC tăng 3,3 điểm và 8 bậc, xếp thứ 1/6 tỉnh Bắc Trung Bộ.",  # regional rank
        "Đây là năm thứ 5 liên tiếp chỉ số CCHC đạt giá trị trung bình trên 80%.",  # ordinal, bound
    ],
)
def test_numbers_that_are_not_catalogued_figures(sentence: str) -> None:
    assert not _figures("Báo cáo cải cách hành chính. " + sentence)


def test_periods() -> None:
    text = (
        "Quý I năm 2020 (tính từ 1/12/2019 đến 29/2/2020), toàn tỉnh tiếp nhận 1.000 hồ sơ.\n"
        "Trong tháng 9/2021, tiếp nhận 200 hồ sơ.\n"
        "9 tháng năm 2021, tiếp nhận 1.800 hồ sơ.\n"
        "Giai đoạn 2016 - 2020, tiếp nhận 9.000 hồ sơ.\n"
    )
    got = {(value, dict(q).get("period")) for _, q, value, _ in _figures(text)}
    assert got >= {
        (1000, "2019-12-01/2020-02-29"),
        (200, "2021-09"),
        (1800, "2021-01-01/2021-09-30"),
        (9000, "2016-01-01/2020-12-31"),
    }


def test_a_year_long_figure_of_the_texts_own_year_has_no_period() -> None:
    got = _figures("Năm 2021, chỉ số SIPAS đạt 84,57% (năm 2020 là 82,1%).")
    assert ("sipas_score", (), 84.57, None) in got
    assert ("sipas_score", (("period", "2020"),), 82.1, None) in got


def test_document_facts_fall_back_to_path_then_options(tmp_path: Path) -> None:
    text = "Trung tâm hành chính công tỉnh đã tiếp nhận 1.200 hồ sơ."
    unknown = extract_text(text)
    assert unknown.document["province"] is None and unknown.figures  # still extracted
    given = extract_text(text, province="khánh-hòa", year=2024)
    assert (given.document["province"], given.document["province_source"]) == ("Khanh Hoa", "option")
    assert (given.document["report_year"], given.document["year_source"]) == (2024, "option")
    landed = tmp_path / "ninh-thuan" / "2019" / "news.txt"
    found = extract_text(text, province="Khanh Hoa", year=2024, landing_path=landed)
    assert (found.document["province"], found.document["province_source"]) == ("Ninh Thuan", "path")
    assert (found.document["report_year"], found.document["year_source"]) == (2019, "path")
    named = extract_text("UBND tỉnh Hà Tĩnh\n\n" + text, province="Khanh Hoa", landing_path=landed)
    assert (named.document["province"], named.document["province_source"]) == ("Ha Tinh", "text")


QUARTERLY_REPORT = """UBND TỈNH PHÚ YÊN
Số: 215/BC-UBND
BÁO CÁO
Kết quả công tác cải cách hành chính quý I năm 2022

Tổng số TTHC thuộc thẩm quyền giải quyết của tỉnh là 1.787 thủ tục.
Toàn tỉnh cung cấp 1.539 dịch vụ công trực tuyến, trong đó mức độ 3 là 1.089 thủ tục
và mức độ 4 là 450 thủ tục.
Dịch vụ công trực tuyến toàn trình: 856 TTHC; một phần: 734 TTHC.
Quý I năm 2022 (tính từ 15/12/2021 đến 14/3/2022), toàn tỉnh tiếp nhận 659.245 hồ sơ,
với cấp tỉnh 120.000 hồ sơ; cấp huyện 239.245 hồ sơ; cấp xã 300.000 hồ sơ.
Số hồ sơ đã giải quyết là 643.272 hồ sơ, trong đó đúng và trước hạn 635.593 (98,81%),
trễ hạn 7.679 hồ sơ (1,19%).
Thanh toán trực tuyến 12.345 hồ sơ với số tiền 1.234.567.000 đồng.
Chỉ số PAR INDEX năm 2021 của tỉnh đạt 84,12%, xếp thứ 25/63, tăng 10 bậc so với năm 2020;
Chỉ số SIPAS đạt 85,5%, xếp thứ 30/63.
"""


def test_breakdowns_lists_and_labels_of_a_formal_report() -> None:
    import unicodedata

    from ingest.reports.normalize import fold_char

    q1 = (("period", "2021-12-15/2022-03-14"),)
    expected = {
        ("procedures_online_services", (), 1539, None),
        ("procedures_online_services", (("service_level", "3"),), 1089, None),
        ("procedures_online_services", (("service_level", "4"),), 450, None),
        ("procedures_online_services", (("service_level", "full"),), 856, None),
        ("procedures_online_services", (("service_level", "partial"),), 734, None),
        ("dossiers_received", q1, 659245, None),
        ("dossiers_received", (("level", "province"), *q1), 120000, None),
        ("dossiers_received", (("level", "district"), *q1), 239245, None),
        ("dossiers_received", (("level", "commune"), *q1), 300000, None),
        ("dossiers_on_time_pct", q1, 98.81, None),
        ("dossiers_late", q1, 7679, None),
        ("dossiers_late_pct", q1, 1.19, None),
        ("online_payment_amount", (), 1234567000, None),
        ("par_index_rank", (("period", "2021"),), 25, 63),
        ("sipas_rank", (("period", "2021"),), 30, 63),
    }
    clean = _figures(QUARTERLY_REPORT)
    assert expected <= clean, expected - clean
    # The same figures without diacritics and in NFD.
    assert _figures("".join(fold_char(c) for c in QUARTERLY_REPORT)) == clean
    assert _figures(unicodedata.normalize("NFD", QUARTERLY_REPORT)) == clean
    assert not any(metric == "par_unit_score" for metric, *_ in clean)  # "chi so SIPAS" is no "So ..."


def test_early_apart_means_on_due_date_and_postal_is_counted() -> None:
    got = _figures("Báo cáo CCHC. Đã giải quyết 8.012 hồ sơ, trong đó trước hạn 3.000, đúng hạn 5.000, "
                   "quá hạn 12 hồ sơ. Tiếp nhận 12.345 hồ sơ (trong đó: trực tuyến 5.000 hồ sơ, trực tiếp "
                   "7.000 hồ sơ, qua bưu chính 345 hồ sơ).")
    assert {("dossiers_early", (), 3000, None), ("dossiers_on_due_date", (), 5000, None),
            ("dossiers_late", (), 12, None), ("dossiers_postal", (), 345, None),
            ("dossiers_online", (), 5000, None)} <= got
    assert not any(metric == "dossiers_on_time" for metric, *_ in got)
    assert not any(value == 7000 for _, _, value, _ in got)  # in person: not catalogued


def test_check_report_flags_the_corpus_inconsistencies_and_nothing_else() -> None:
    """corpus/real/README.md lists one text that contradicts itself (Thua Thien Hue's
    dashboard: at every service level "Da xu ly" exceeds early + on due date + late);
    the other nine agree with themselves (Ben Tre within its "ngan" rounding)."""
    from expectations.report_check import check_report_file

    flagged = {}
    for path in sorted(CORPUS.glob("*.txt")):
        result = check_report_file(path)
        failed = [c for c in result["checks"] if not c["success"]]
        if failed:
            flagged[path.name] = failed
    assert set(flagged) == {"thuathienhue_undated.txt"}, flagged
    (check,) = flagged["thuathienhue_undated.txt"]
    assert check["rule"] == "complements_add_up" and check["severity"] == "warn"
    import json

    rows = json.loads(check["observed"])["details"]["unexpected_rows"]
    assert sorted((r["expected"], r["observed"]) for r in rows) == [
        (1611, 1608), (61827, 59560), (257141, 247529)]


def test_a_month_without_its_year_is_of_the_year_last_named_and_no_count() -> None:
    got = _figures("Trong 6 tháng đầu năm 2023, tiếp nhận 45.678 hồ sơ.\n"
                   "Số hồ sơ tiếp nhận trong tháng 6: 12.345; đã giải quyết 12.000 hồ sơ.\n")
    assert {("dossiers_received", (("period", "2023-H1"),), 45678, None),
            ("dossiers_received", (("period", "2023-06"),), 12345, None),
            ("dossiers_resolved", (("period", "2023-06"),), 12000, None)} <= got
    assert not any(value == 6 for _, _, value, _ in got)


def test_a_sentence_rules_plain_on_time_beside_early_is_on_the_due_date() -> None:
    from expectations.report_check import check_extraction

    text = ("Bao cao CCHC nam 2022. Da giai quyet 240.001 ho so, trong do giai quyet truoc han "
            "150.000 ho so, dung han 88.001 ho so, tre han 2.000 ho so.")
    got = _figures(text)
    assert ("dossiers_on_due_date", (), 88001, None) in got
    assert not any(metric == "dossiers_on_time" for metric, *_ in got)
    checks = check_extraction(extract_text(text, province="Binh Thuan"), "made-up.txt")["checks"]
    assert all(c["success"] for c in checks), [c for c in checks if not c["success"]]


def test_levels_labelled_after_a_heading_colon() -> None:
    got = _figures("Báo cáo CCHC năm 2023. Kết quả giải quyết TTHC: Cấp tỉnh: tiếp nhận 52.100 hồ sơ, "
                   "đã giải quyết 50.000 hồ sơ; cấp huyện: tiếp nhận 30.000 hồ sơ.")
    assert {("dossiers_received", (("level", "province"),), 52100, None),
            ("dossiers_resolved", (("level", "province"),), 50000, None),
            ("dossiers_received", (("level", "district"),), 30000, None)} <= got
