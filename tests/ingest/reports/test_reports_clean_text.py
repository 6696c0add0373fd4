"""Clean Unicode Vietnamese (NFC and NFD): the same rules, the same figures.

The sentences are written for these tests in the style of portal news and other
provinces' reports, so the rules are shown not to be tuned to the OCR sample.
"""

from __future__ import annotations

import unicodedata

import pytest

from ingest.reports import extract_text
from ingest.reports.normalize import fold, parse_fraction, parse_number

# The sample's key passages, retyped with proper diacritics.
KHANH_HOA_CLEAN = """ỦY BAN NHÂN DÂN TỈNH KHÁNH HÒA
Số: 43/BC-UBND        Khánh Hòa, ngày 17 tháng 3 năm 2021

BÁO CÁO
Tổng kết công tác cải cách hành chính tỉnh Khánh Hòa năm 2020

UBND tỉnh ban hành 90 quyết định công bố danh mục TTHC, 53 quyết định phê duyệt 587 quy
trình nội bộ giải quyết TTHC ở cả cấp tỉnh, cấp huyện, cấp xã. Tổng số TTHC hiện tại là
1.787 thủ tục, trong đó cấp tỉnh là 1.232, cấp huyện là 220, cấp xã là 98, áp dụng nhiều
cấp là 237.

Đã hoàn thành việc rà soát, với 2.133 quy trình TTHC chi tiết trên 145 lĩnh vực, trong đó
cấp tỉnh là 1.660 quy trình TTHC, cấp huyện là 289, cấp xã là 184.

Cụ thể: Cho phép thực hiện dịch vụ bưu chính công ích là 1.143 quy trình, đạt tỷ lệ 100%;
cho phép nộp hồ sơ trực tuyến là 746 quy trình (mức độ 3 là 355, mức độ 4 là 391), chiếm
tỷ lệ 65,27%, tăng 606 quy trình; cho phép thực hiện thanh toán trực tuyến phí, lệ phí là
451 quy trình, chiếm tỷ lệ 39,46%.

Trong năm, khối cơ quan chuyên môn thuộc UBND tỉnh, UBND cấp huyện, UBND cấp xã, Văn
phòng đăng ký đất đai đã giải quyết và trả kết quả 538.531 hồ sơ, tỷ lệ sớm và đúng hạn
đạt 98,00%. Đã tiếp nhận 114.312 hồ sơ trực tuyến, chiếm tỷ lệ 20,29%. Hồ sơ thanh toán
trực tuyến phí, lệ phí qua Trung tâm Dịch vụ hành chính công trực tuyến tỉnh là 7.806 hồ
sơ, với số tiền là 420.485.000 đồng.

Khối các cơ quan ngành dọc tại tỉnh đã giải quyết 2.971.152 hồ sơ, sớm và đúng hạn
2.959.149 hồ sơ, chiếm tỷ lệ 99,60%. Trong đó, hồ sơ trực tuyến là 2.344.880 hồ sơ, đạt
tỷ lệ 78,92% trên tổng số hồ sơ của toàn khối (Ngành Công an 1.232.465 hồ sơ, đạt tỷ lệ
82,90%; Ngành Hải quan 35.625 hồ sơ, đạt tỷ lệ 98,35%; Ngành Bảo hiểm xã hội 627.986 hồ
sơ, đạt tỷ lệ 96,13%; Ngành Thuế 179.017 hồ sơ, đạt tỷ lệ 53,74%; Ngành Kho bạc Nhà nước:
269.787 hồ sơ, đạt tỷ lệ 58,42%).

Toàn tỉnh hiện có 156 cổng/trang thông tin điện tử của các cơ quan hành chính nhà nước
(20/21 cơ quan chuyên môn cấp tỉnh, 08/09 UBND cấp huyện, 128/136 UBND cấp xã).

Tuy nhiên tỷ lệ hồ sơ trễ hạn của khối UBND cấp huyện vẫn còn rất cao, chiếm tỷ lệ 11,57%,
trong đó có 03 địa phương trên 10% (cao nhất là UBND thành phố Cam Ranh: 22,03%, kế tiếp
là UBND huyện Vạn Ninh: 22%, UBND thành phố Nha Trang: 12,44%). Bên cạnh đó, tỷ lệ hồ sơ
trễ hạn ở lĩnh vực đất đai vẫn còn cao (tỷ lệ hồ sơ trễ hạn của Sở Kế hoạch và Đầu tư năm
2020 là 7,05%).

Năm 2020, tổng số lượng cán bộ, công chức cấp xã đạt chuẩn theo quy định là 2.628/2.716,
đạt tỷ lệ 96,76%, trong đó tỷ lệ đạt chuẩn của công chức là 1.320/1.320 (100%), đối với
cán bộ là 1.308/1.396 (94%).

Kết quả khảo sát ý kiến người dân, tổ chức, doanh nghiệp về tác động của CCHC cho thấy,
có 28,4% đánh giá tạo rất nhiều thuận lợi, 45,2% nhận xét khá tốt, 24,2% cảm thấy tạm
được. Đánh giá chưa tích cực chỉ chiếm 2,2%.
"""

EXPECTED_CLEAN = [
    ("report_number", {}, "43/BC-UBND", None),
    ("report_issued_date", {}, "2021-03-17", None),
    ("report_year", {}, 2020, None),
    ("procedure_list_decisions", {}, 90, None),
    ("internal_process_decisions", {}, 53, None),
    ("internal_processes_approved", {}, 587, None),
    ("procedures_total", {}, 1787, None),
    ("procedures_total", {"level": "province"}, 1232, None),
    ("procedures_total", {"level": "district"}, 220, None),
    ("procedures_total", {"level": "commune"}, 98, None),
    ("procedures_total", {"level": "multi_level"}, 237, None),
    ("procedure_processes_total", {}, 2133, None),
    ("procedure_fields_total", {}, 145, None),
    ("procedure_processes_total", {"level": "province"}, 1660, None),
    ("procedure_processes_total", {"level": "district"}, 289, None),
    ("procedure_processes_total", {"level": "commune"}, 184, None),
    ("procedures_postal_enabled", {}, 1143, None),
    ("procedures_online_enabled", {}, 746, None),
    ("procedures_online_enabled", {"service_level": 3}, 355, None),
    ("procedures_online_enabled", {"service_level": 4}, 391, None),
    ("procedures_online_enabled_pct", {}, 65.27, None),
    ("procedures_online_payment_enabled", {}, 451, None),
    ("procedures_online_payment_enabled_pct", {}, 39.46, None),
    ("dossiers_resolved", {"scope": "local"}, 538531, None),
    ("dossiers_on_time_pct", {"scope": "local"}, 98.0, None),
    ("dossiers_online", {"scope": "local"}, 114312, None),
    ("dossiers_online_pct", {"scope": "local"}, 20.29, None),
    ("dossiers_online_paid", {}, 7806, None),
    ("online_payment_amount", {}, 420485000, None),
    ("dossiers_resolved", {"scope": "vertical"}, 2971152, None),
    ("dossiers_on_time", {"scope": "vertical"}, 2959149, None),
    ("dossiers_on_time_pct", {"scope": "vertical"}, 99.6, None),
    ("dossiers_online", {"scope": "vertical"}, 2344880, None),
    ("dossiers_online_pct", {"scope": "vertical"}, 78.92, None),
    ("dossiers_online", {"scope": "vertical", "sector": "police"}, 1232465, None),
    ("dossiers_online_pct", {"scope": "vertical", "sector": "police"}, 82.9, None),
    ("dossiers_online", {"scope": "vertical", "sector": "customs"}, 35625, None),
    ("dossiers_online", {"scope": "vertical", "sector": "social_insurance"}, 627986, None),
    ("dossiers_online_pct", {"scope": "vertical", "sector": "social_insurance"}, 96.13, None),
    ("dossiers_online", {"scope": "vertical", "sector": "tax"}, 179017, None),
    ("dossiers_online", {"scope": "vertical", "sector": "treasury"}, 269787, None),
    ("dossiers_online_pct", {"scope": "vertical", "sector": "treasury"}, 58.42, None),
    ("web_portals", {}, 156, None),
    ("web_portals", {"level": "province"}, 20, 21),
    ("web_portals", {"level": "district"}, 8, 9),
    ("web_portals", {"level": "commune"}, 128, 136),
    ("dossiers_late_pct", {"scope": "local", "level": "district"}, 11.57, None),
    ("dossiers_late_pct", {"scope": "local", "unit": "Cam Ranh"}, 22.03, None),
    ("dossiers_late_pct", {"scope": "local", "unit": "Van Ninh"}, 22.0, None),
    ("dossiers_late_pct", {"scope": "local", "unit": "Nha Trang"}, 12.44, None),
    ("dossiers_late_pct", {"scope": "local", "unit": "So Ke hoach va Dau tu"}, 7.05, None),
    ("commune_officials_meeting_standard", {"kind": "all"}, 2628, 2716),
    ("commune_officials_meeting_standard_pct", {"kind": "all"}, 96.76, None),
    ("commune_officials_meeting_standard", {"kind": "civil_servant"}, 1320, 1320),
    ("commune_officials_meeting_standard", {"kind": "cadre"}, 1308, 1396),
    ("commune_officials_meeting_standard_pct", {"kind": "cadre"}, 94.0, None),
    ("satisfaction_share", {"group": "citizens", "rating": "very_good"}, 28.4, None),
    ("satisfaction_share", {"group": "citizens", "rating": "good"}, 45.2, None),
    ("satisfaction_share", {"group": "citizens", "rating": "acceptable"}, 24.2, None),
    ("satisfaction_share", {"group": "citizens", "rating": "not_good"}, 2.2, None),
]


def _keys(text: str) -> set[tuple]:
    return {
        (r["metric"], tuple(sorted(r["qualifiers"].items())), r["value"], r["denominator"])
        for r in (f.to_json() for f in extract_text(text).figures)
    }


def _key(metric: str, qualifiers: dict, value: object, denominator: float | None) -> tuple:
    return (metric, tuple(sorted(qualifiers.items())), value, denominator)


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_clean_unicode_gives_the_sample_figures(form: str) -> None:
    text = unicodedata.normalize(form, KHANH_HOA_CLEAN)
    got = _keys(text)
    missing = [e for e in EXPECTED_CLEAN if _key(*e) not in got]
    assert not missing, missing


def test_nfc_and_nfd_agree_on_everything_but_the_text() -> None:
    def rows(form: str) -> list[tuple]:
        extraction = extract_text(unicodedata.normalize(form, KHANH_HOA_CLEAN))
        return [
            (f.metric, f.value, tuple(sorted(f.qualifiers.items())), f.denominator, f.line)
            for f in extraction.figures
        ]

    assert rows("NFC") == rows("NFD")
    nfd = extract_text(unicodedata.normalize("NFD", KHANH_HOA_CLEAN))
    assert nfd.document["province"] == "Khanh Hoa"
    assert nfd.document["title"] == unicodedata.normalize(
        "NFD", "Tổng kết công tác cải cách hành chính tỉnh Khánh Hòa năm 2020"
    )


def test_clean_figures_are_a_subset_of_the_ocr_sample() -> None:
    """The OCR-mangled sample and its clean retyping agree figure for figure."""
    from ingest.reports import extract_report
    from ingest.settings import REPO_ROOT

    sample = extract_report(REPO_ROOT / "data/samples/reports/khanh-hoa/2020/khanh_hoa_2020_cchc_report.txt")
    ocr = {
        (r["metric"], tuple(sorted(r["qualifiers"].items())), r["value"], r["denominator"])
        for r in (f.to_json() for f in sample.figures)
    }
    clean = _keys(KHANH_HOA_CLEAN)
    assert clean - ocr == set()
    assert len(clean) >= 60


QUARTERLY_NEWS = """Quảng Ninh: kết quả giải quyết thủ tục hành chính quý III/2021

Trong quý III/2021, toàn tỉnh đã tiếp nhận 125.430 hồ sơ, đã giải quyết 120.112 hồ sơ,
trong đó giải quyết đúng và trước hạn 118.905 hồ sơ, quá hạn 1.207 hồ sơ; đang giải quyết
5.318 hồ sơ, trong đó chưa đến hạn 5.100, đã quá hạn 218.

Riêng tháng 9/2021, các cơ quan đã tiếp nhận 41.200 hồ sơ; tiếp nhận 18.540 hồ sơ trực
tuyến, chiếm tỷ lệ 45%.

Trong 6 tháng đầu năm 2021, tỷ lệ hồ sơ giải quyết đúng hạn đạt 97,5%; tỷ lệ hồ sơ quá
hạn là 2,5%.
"""


def test_quarterly_news_with_several_periods() -> None:
    got = _keys(QUARTERLY_NEWS)
    q3 = {"scope": "local", "period": "2021-Q3"}
    expected = [
        ("dossiers_received", q3, 125430, None),
        ("dossiers_resolved", q3, 120112, None),
        ("dossiers_on_time", q3, 118905, None),
        ("dossiers_late", q3, 1207, None),
        ("dossiers_pending", {"kind": "all", "period": "2021-Q3"}, 5318, None),
        ("dossiers_pending", {"kind": "not_due", "period": "2021-Q3"}, 5100, None),
        ("dossiers_pending", {"kind": "overdue", "period": "2021-Q3"}, 218, None),
        ("dossiers_received", {"scope": "local", "period": "2021-09"}, 41200, None),
        ("dossiers_online", {"scope": "local", "period": "2021-09"}, 18540, None),
        ("dossiers_online_pct", {"scope": "local", "period": "2021-09"}, 45.0, None),
        ("dossiers_on_time_pct", {"scope": "local", "period": "2021-H1"}, 97.5, None),
        ("dossiers_late_pct", {"scope": "local", "period": "2021-H1"}, 2.5, None),
    ]
    missing = [e for e in expected if _key(*e) not in got]
    assert not missing, (missing, sorted(got))
    assert len(got) == len(expected), sorted(got - {_key(*e) for e in expected})


RANKINGS = """Sở Nội vụ tỉnh Quảng Ninh công bố kết quả các chỉ số năm 2020.

Chỉ số cải cách hành chính (PAR INDEX) năm 2020 của tỉnh Quảng Ninh đạt 91,07%, xếp thứ
1/63 tỉnh, thành phố. PAR INDEX năm 2019 của tỉnh đạt 89,90%, xếp thứ 2/63.

Chỉ số hài lòng về sự phục vụ hành chính (SIPAS) năm 2020 đạt 88,50%, xếp thứ 5/63. Chỉ số
PAPI năm 2020 xếp thứ 9/63; chỉ số năng lực cạnh tranh cấp tỉnh PCI năm 2020 xếp thứ 1/63.

Về xếp hạng chỉ số CCHC năm 2020 của các sở, ngành, địa phương: khối sở, ban, ngành có
12/20 đơn vị xếp loại tốt, 8 đơn vị xếp loại khá; Sở Tư pháp đạt 95,20%, UBND thành phố Hạ
Long đạt 93,10%.
"""


def test_par_index_sipas_papi_pci_scores_and_ranks() -> None:
    got = _keys(RANKINGS)
    expected = [
        # 2020 is the text's own year (its first period phrase): no period qualifier.
        ("par_index_score", {}, 91.07, None),
        ("par_index_rank", {}, 1, 63),
        ("par_index_score", {"period": "2019"}, 89.9, None),
        ("par_index_rank", {"period": "2019"}, 2, 63),
        ("sipas_score", {}, 88.5, None),
        ("sipas_rank", {}, 5, 63),
        ("papi_rank", {}, 9, 63),
        ("pci_rank", {}, 1, 63),
        ("par_units_by_grade", {"group": "provincial_departments", "rating": "good"}, 12, 20),
        ("par_units_by_grade", {"group": "provincial_departments", "rating": "fair"}, 8, None),
        ("par_unit_score", {"unit": "So Tu phap"}, 95.2, None),
        ("par_unit_score", {"unit": "Ha Long"}, 93.1, None),
    ]
    missing = [e for e in expected if _key(*e) not in got]
    assert not missing, (missing, sorted(got))


OTHER_PROVINCE = """UBND TỈNH NGHỆ AN
Số: 120/BC-UBND                Nghệ An, ngày 10 tháng 12 năm 2021

BÁO CÁO
Kết quả công tác cải cách hành chính năm 2021

Số liệu báo cáo tính từ ngày 15/12/2020 đến ngày 14/12/2021.

Trong năm, UBND tỉnh đã công bố 412 TTHC, trong đó 150 TTHC mới ban hành và thay thế, 200
TTHC sửa đổi, bổ sung, 62 TTHC bị bãi bỏ. Toàn tỉnh đã tiếp nhận 1.250.300 hồ sơ, hồ sơ tồn
kỳ trước chuyển sang là 12.400; đã giải quyết 1.230.000 hồ sơ, trong đó đúng và trước hạn
1.205.400 hồ sơ, trễ hạn 24.600 hồ sơ.
"""


def test_other_province_report_with_stated_period() -> None:
    extraction = extract_text(OTHER_PROVINCE)
    doc = extraction.document
    assert doc["province"] == "Nghe An"
    assert doc["report_number"] == "120/BC-UBND"
    assert doc["report_year"] == 2021
    assert str(doc["period_start"]) == "2020-12-15" and str(doc["period_end"]) == "2021-12-14"
    got = _keys(OTHER_PROVINCE)
    expected = [
        ("procedures_announced", {"kind": "all"}, 412, None),
        ("procedures_announced", {"kind": "new_or_replaced"}, 150, None),
        ("procedures_announced", {"kind": "amended"}, 200, None),
        ("procedures_announced", {"kind": "abolished"}, 62, None),
        ("dossiers_received", {"scope": "local"}, 1250300, None),
        ("dossiers_carried_over", {}, 12400, None),
        ("dossiers_resolved", {"scope": "local"}, 1230000, None),
        ("dossiers_on_time", {"scope": "local"}, 1205400, None),
        ("dossiers_late", {"scope": "local"}, 24600, None),
    ]
    missing = [e for e in expected if _key(*e) not in got]
    assert not missing, (missing, sorted(got))


def test_number_parsing() -> None:
    assert parse_number("1.787") == 1787
    assert parse_number("2.971.152") == 2971152
    assert parse_number("65,27") == 65.27
    assert parse_number("420.485.000") == 420485000
    assert parse_number("06") == 6
    assert parse_fraction("128/136") == (128, 136)
    assert parse_fraction("2.628/2.716") == (2628, 2716)


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Tong s6 TTHC hién tai 1a 1.787", "tong so tthc hien tai la 1.787"),
        ("dat ty 1¢ 65,91%", "dat ty le 65,91%"),
        ("chiém ty 1& 20,29%", "chiem ty le 20,29%"),
        ("ty 18 0,48%", "ty le 0,48%"),
        ("ty 16 som va ding han", "ty le som va dung han"),
        ("Sb: 43 /BC-UBND", "so: 43 /bc-ubnd"),
        ("trong d6 cép tinh", "trong do cap tinh"),
        ("Pén nay, P& hoan thanh", "den nay, da hoan thanh"),
        ("mac do 3 13 355", "mac do 3 la 355"),
        ("Tổng số TTHC hiện tại là 1.787", "tong so tthc hien tai la 1.787"),
        ("Đảng, Đoàn thể", "dang, doan the"),
        ("PAR INDEX và PAPI", "par index va papi"),
    ],
)
def test_fold_repairs_ocr_confusions(raw: str, folded: str) -> None:
    assert fold(raw) == folded
    assert fold(unicodedata.normalize("NFD", raw)) == folded


QUARTER_BY_LEVEL = """BÁO CÁO
Kết quả công tác cải cách hành chính quý I năm 2022 của tỉnh Bình Định

Số liệu báo cáo từ ngày 15/12/2021 đến ngày 14/3/2022. Tỉnh đang cung ứng dịch vụ công trực
tuyến trên Cổng dịch vụ công với 1.520 thủ tục, gồm cấp tỉnh 1.100, cấp huyện 280, cấp xã
140; mức độ 3 là 620, mức độ 4 là 900.

Cấp tỉnh: tiếp nhận 30.500 hồ sơ (trực tuyến 12.400 hồ sơ), hồ sơ tồn kỳ trước chuyển sang
là 1.200; lũy kế đã và đang giải quyết trong kỳ là 31.700 hồ sơ; đến hạn giải quyết là
29.800; đã giải quyết 29.500 hồ sơ. Cấp huyện: tiếp nhận 52.100 hồ sơ; đã giải quyết 51.000
hồ sơ, trong đó quá hạn 410 hồ sơ.

Số trường hợp trả lại hồ sơ và người nộp đề nghị rút hồ sơ là 320 hồ sơ, chiếm tỷ lệ 0,4%.
"""


def test_levels_named_at_clause_head_and_other_dossier_counts() -> None:
    extraction = extract_text(QUARTER_BY_LEVEL)
    assert extraction.document["province"] == "Binh Dinh"
    assert extraction.document["report_year"] == 2022
    assert str(extraction.document["period_start"]) == "2021-12-15"
    got = _keys(QUARTER_BY_LEVEL)
    province = {"scope": "local", "level": "province"}
    expected = [
        ("procedures_online_services", {}, 1520, None),
        ("procedures_online_services", {"level": "province"}, 1100, None),
        ("procedures_online_services", {"level": "district"}, 280, None),
        ("procedures_online_services", {"level": "commune"}, 140, None),
        ("procedures_online_services", {"service_level": 3}, 620, None),
        ("procedures_online_services", {"service_level": 4}, 900, None),
        ("dossiers_received", province, 30500, None),
        ("dossiers_online", {"scope": "local"}, 12400, None),
        ("dossiers_carried_over", {"level": "province"}, 1200, None),
        ("dossiers_in_period", {"level": "province"}, 31700, None),
        ("dossiers_due", {"level": "province"}, 29800, None),
        ("dossiers_resolved", province, 29500, None),
        ("dossiers_received", {"scope": "local", "level": "district"}, 52100, None),
        ("dossiers_resolved", {"scope": "local", "level": "district"}, 51000, None),
        ("dossiers_late", {"scope": "local", "level": "district"}, 410, None),
        ("dossiers_returned_or_withdrawn", {}, 320, None),
        ("dossiers_returned_or_withdrawn_pct", {}, 0.4, None),
    ]
    missing = [e for e in expected if _key(*e) not in got]
    assert not missing, (missing, sorted(got))


QUARTERLY_NEWS_OCR = """Quang Ninh: két qua giai quyét thu tuc hanh chinh quy III/2021

Trong quy III/2021, toan tinh d3 tiép nhan 125.430 hd so, d3 giai quyét 120.112 h6 so,
trong d6 giai quyét ding va trudc han 118.905 hd so, qua han 1.207 hd so; dang giai quyét
5.318 hd so, trong d6 chua dén han 5.100, d3 qua han 218.

Riéng thang 9/2021, cac co quan d3 tiép nhan 41.200 hd so; tiép nhan 18.540 hd so truc
tuyén, chiém ty 1& 45%.

Trong 6 thang dau nim 2021, ty 1¢ hd so giai quyét ding han dat 97,5%; ty 1€ hd so qua
han 1a 2,5%.
"""


def test_ocr_mangled_news_gives_the_clean_figures() -> None:
    """The same news, OCR-mangled by hand, reads the same figures as the clean text."""
    assert _keys(QUARTERLY_NEWS_OCR) == _keys(QUARTERLY_NEWS)


def test_compared_year_is_not_a_period() -> None:
    text = (
        "So với năm 2019, số hồ sơ tăng mạnh: trong năm, toàn tỉnh đã tiếp nhận 98.000 hồ sơ "
        "thủ tục hành chính."
    )
    got = _keys(text)
    assert ("dossiers_received", (("scope", "local"),), 98000, None) in got


PORTAL_NEWS = """Tỉnh Lâm Đồng: đẩy mạnh dịch vụ công trực tuyến, giảm hồ sơ trễ hạn

Năm 2021, Trung tâm Phục vụ hành chính công tỉnh tiếp nhận trực tuyến 45.210 hồ sơ, chiếm
tỷ lệ 38,5%. Tỷ lệ hồ sơ trễ hạn của khối cấp huyện là 4,2%, trong đó cao nhất là UBND
thành phố Bảo Lộc: 9,8%, Sở Tài nguyên và Môi trường: 7,5%, UBND huyện Đức Trọng: 6,1%.
Chỉ số SIPAS năm 2021 đạt 87,23%, tăng 2,1% so với năm 2020; PAR INDEX 2021 của tỉnh đạt
89,4 điểm.
"""


def test_portal_news_phrasings() -> None:
    got = _keys(PORTAL_NEWS)
    year = {"scope": "local"}  # 2021 is the text's own year: no period qualifier
    expected = [
        ("dossiers_online", year, 45210, None),
        ("dossiers_online_pct", year, 38.5, None),
        ("dossiers_late_pct", {**year, "level": "district"}, 4.2, None),
        ("dossiers_late_pct", {**year, "unit": "Bao Loc"}, 9.8, None),
        ("dossiers_late_pct", {**year, "unit": "So Tai nguyen va Moi truong"}, 7.5, None),
        ("dossiers_late_pct", {**year, "unit": "Duc Trong"}, 6.1, None),
        ("sipas_score", {}, 87.23, None),
        ("par_index_score", {}, 89.4, None),  # points out of 100
    ]
    missing = [e for e in expected if _key(*e) not in got]
    assert not missing, (missing, sorted(got))
