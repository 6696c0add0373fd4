"""Every word the dashboard shows, in Vietnamese (the default) and English, keyed by id,
and how each language writes numbers and dates. One table: a label is translated once,
and a key without both languages fails the tests (tests/ingest/test_dashboard.py).

Placeholders are `$name` (string.Template), so Plotly's own `%{y:.1f}` hover syntax can
sit in a label untouched. Numbers go into labels already written in the page's language
(Labels.number / percent / points), so a Vietnamese page reads "1.787" and "65,3 %".
"""

from __future__ import annotations

from datetime import date
from string import Template

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"

# Why a report check's findings are listed and not blocking (expectations/report_consistency.py).
_REPORT_SLIP = {
    "vi": "báo cáo có thể có sai sót khi ghi số liệu: công bố cả hai giá trị trong sổ, giữ nguyên báo cáo",
    "en": "reports contain slips; publish both values in the register, keep the report",
}
_REPORT_CHECKS = {
    "levels_sum_to_total": ("Các cấp cộng lại bằng tổng", "Levels sum to the total"),
    "sectors_sum_to_total": ("Các ngành dọc cộng lại bằng tổng", "Sectors sum to the total"),
    "service_levels_sum_to_total": ("Các mức độ dịch vụ công trực tuyến cộng lại bằng tổng",
                                    "Service levels sum to the total"),
    "kinds_sum_to_total": ("Các loại cộng lại bằng tổng", "Kinds sum to the total"),
    "percent_matches_counts": ("Tỷ lệ khớp với số lượng", "Percentage matches its counts"),
    "complements_add_up": ("Các phần bù cộng lại đủ", "Complements add up"),
    "fraction_within_whole": ("Phần không vượt quá tổng", "Part within its whole"),
    "change_agrees_with_its_multiple": ("Mức tăng khớp với số lần", "Change agrees with its multiple"),
    "change_agrees_with_previous_report": ("Mức tăng khớp với báo cáo năm trước",
                                           "Change agrees with last year's report"),
}

LABELS: dict[str, dict[str, str]] = {
    # ---------------------------------------------------------------- page chrome
    "page.title": {"vi": "Bảng theo dõi cải cách hành chính", "en": "CCHC dashboard"},
    "page.title_province": {"vi": "Bảng theo dõi cải cách hành chính · $province",
                            "en": "CCHC dashboard · $province"},
    "page.release": {"vi": "Bản phát hành $release", "en": "Release $release"},
    "page.published": {"vi": "công bố lúc $when (UTC)", "en": "published $when UTC"},
    "page.checks": {"vi": "kiểm tra: $passed đạt, $warned cảnh báo, $failed lỗi",
                    "en": "checks: $passed passed, $warned warned, $failed failed"},
    "page.sources": {"vi": "từ $files tệp nguồn", "en": "built from $files source files"},
    "page.footer": {
        "vi": "Số liệu cải cách hành chính từ các bảng đã công bố của kho dữ liệu; trang do lệnh "
              "$command tạo. Bản tiếng Anh: $other.",
        "en": "Administrative reform (cải cách hành chính) statistics from the published marts; "
              "built by $command. Vietnamese version: $other.",
    },
    # ---------------------------------------------------------------- years and periods
    "period.bounds": {"vi": "$start – $end", "en": "$start – $end"},
    "period.incomplete": {"vi": "$period (chưa đủ kỳ)", "en": "$period (incomplete)"},
    "year.note": {
        "vi": "Cách tính năm: mọi biểu đồ dùng năm báo cáo cải cách hành chính của tỉnh (năm $year: "
              "$bounds), như bảng tổng hợp năm của kho dữ liệu, không dùng năm dương lịch; kỳ báo cáo "
              "tháng chốt số liệu cùng ngày. Một kỳ là đủ khi các tháng có dữ liệu hồ sơ xuất phủ hết "
              "mọi ngày của kỳ; kỳ chưa đủ được ghi \"(chưa đủ kỳ)\" và không nên so sánh với kỳ đủ. "
              "Năm báo cáo $year: dữ liệu xuất phủ $covered / $days ngày ($share).",
        "en": "Definition of year: every chart uses the province's CCHC reporting year (for $year: "
              "$bounds), as the warehouse's yearly scorecard does, not the calendar year; reporting months "
              "use the same cut-off. A period is complete when the months of dossier exports cover every "
              "day of it; an incomplete one is marked \"(incomplete)\" and should not be compared with "
              "complete ones. Reporting year $year: the exports cover $covered of its $days days ($share).",
    },
    # ---------------------------------------------------------------- the year at a glance
    "glance.none": {"vi": "Bản phát hành này không có dữ liệu hồ sơ xuất.",
                    "en": "No dossier exports in this release."},
    "glance.received": {"vi": "hồ sơ tiếp nhận, năm báo cáo $year",
                        "en": "dossiers received, reporting year $year"},
    "glance.on_time": {"vi": "giải quyết đúng hạn ($resolved hồ sơ đã giải quyết)",
                       "en": "resolved on time ($resolved resolved)"},
    "glance.late": {"vi": "giải quyết trễ hạn", "en": "resolved late"},
    "glance.online": {"vi": "hồ sơ nộp trực tuyến", "en": "filed online"},
    "glance.paid_online": {"vi": "hồ sơ có phí được thanh toán trực tuyến", "en": "of fees paid online"},
    "glance.online_enabled": {
        "vi": "trong $procedures thủ tục hành chính có dịch vụ công trực tuyến (mức độ 3, 4)",
        "en": "of $procedures procedures online (level 3-4)",
    },
    "glance.caption": {
        "vi": "Năm báo cáo $year tính từ $start đến $end; các tỷ lệ là tổng tử số trên tổng mẫu số "
              "từ dữ liệu hồ sơ xuất, không phải trung bình tỷ lệ của các cơ quan.",
        "en": "Reporting year $year runs $start – $end; rates are counts over counts from the dossier "
              "exports, not averages of agency rates.",
    },
    # ---------------------------------------------------------------- shared
    "level.province": {"vi": "Cấp tỉnh", "en": "Provincial"},
    "level.district": {"vi": "Cấp huyện", "en": "District"},
    "level.commune": {"vi": "Cấp xã", "en": "Commune"},
    "no_dossiers": {"vi": "Bản phát hành này không có hồ sơ", "en": "No dossiers in this release"},
    # ---------------------------------------------------------------- month by month
    "months.title": {"vi": "Giải quyết đúng hạn và nộp trực tuyến theo kỳ báo cáo tháng",
                     "en": "On time and online, reporting month by reporting month"},
    "months.received": {"vi": "Hồ sơ tiếp nhận", "en": "Dossiers received"},
    "months.received_incomplete": {"vi": "Hồ sơ tiếp nhận, kỳ chưa đủ",
                                   "en": "Dossiers received, incomplete month"},
    "months.on_time": {"vi": "Đúng hạn (trên số đã giải quyết)", "en": "On time (of resolved)"},
    "months.online": {"vi": "Trực tuyến (trên số tiếp nhận)", "en": "Online (of received)"},
    "months.hover_received": {"vi": "%{customdata[0]}: %{y:,} hồ sơ tiếp nhận<extra></extra>",
                              "en": "%{customdata[0]}: %{y:,} dossiers received<extra></extra>"},
    "months.hover_on_time": {
        "vi": "%{y:.1f} % (%{customdata[0]:,} trên %{customdata[1]:,} hồ sơ đã giải quyết)<extra></extra>",
        "en": "%{y:.1f} % (%{customdata[0]:,} of %{customdata[1]:,} resolved)<extra></extra>",
    },
    "months.hover_online": {
        "vi": "%{y:.1f} % (%{customdata[0]:,} trên %{customdata[1]:,} hồ sơ tiếp nhận)<extra></extra>",
        "en": "%{y:.1f} % (%{customdata[0]:,} of %{customdata[1]:,} received)<extra></extra>",
    },
    "months.rate_axis": {"vi": "Tỷ lệ", "en": "Rate"},
    "months.month_axis": {"vi": "Kỳ báo cáo tháng ($cutoff)", "en": "Reporting month ($cutoff)"},
    "months.cutoff": {"vi": "ngày $first tháng trước – ngày $last",
                      "en": "$first of the month before – $last"},
    "months.calendar": {"vi": "tháng dương lịch", "en": "calendar month"},
    "months.span": {"vi": "từ kỳ $first đến kỳ $last", "en": "$first to $last"},
    "months.none": {"vi": "không có kỳ nào", "en": "no months"},
    "months.gaps": {"vi": " Trục thời gian bỏ qua các tháng không có dữ liệu xuất.",
                    "en": " The time axis skips the months without exports."},
    "months.caption": {
        "vi": "Toàn tỉnh, $span. Kỳ báo cáo tháng chốt số liệu như năm báo cáo ($cutoff) nên 12 kỳ "
              "cộng lại đúng bằng năm báo cáo. Xanh lục: tỷ lệ hồ sơ giải quyết trong kỳ được giải quyết "
              "đúng hạn. Xanh dương: tỷ lệ hồ sơ tiếp nhận trong kỳ được nộp trực tuyến. Cột xám: số hồ "
              "sơ tiếp nhận. Cột gạch chéo, điểm rỗng: kỳ chưa đủ, dữ liệu xuất không phủ hết các ngày "
              "của kỳ.",
        "en": "Whole province, $span. Reporting months use the reporting year's cut-off ($cutoff), so "
              "twelve of them add up to the reporting year. Green: share of the dossiers resolved in the "
              "month that were resolved by their due date. Blue: share of the dossiers received in the "
              "month that were filed online. Grey bars: how many dossiers came in. Hatched bars, hollow "
              "dots: months the exports do not cover in full.",
    },
    # ---------------------------------------------------------------- agencies
    "agencies.title": {"vi": "Cơ quan: giải quyết đúng hạn và hồ sơ trực tuyến",
                       "en": "Agencies: on time and online"},
    "agencies.hover_on_time": {
        "vi": "%{y}<br>đúng hạn %{x:.1f} % (%{customdata[0]:,} trên %{customdata[1]:,} hồ sơ đã giải "
              "quyết)%{customdata[2]}<extra></extra>",
        "en": "%{y}<br>on time %{x:.1f} % (%{customdata[0]:,} of %{customdata[1]:,} resolved)"
              "%{customdata[2]}<extra></extra>",
    },
    "agencies.hover_online": {
        "vi": "%{y}<br>trực tuyến %{x:.1f} % (%{customdata[0]:,} trên %{customdata[1]:,} hồ sơ tiếp "
              "nhận)%{customdata[2]}<extra></extra>",
        "en": "%{y}<br>online %{x:.1f} % (%{customdata[0]:,} of %{customdata[1]:,} received)"
              "%{customdata[2]}<extra></extra>",
    },
    "agencies.on_time_axis": {"vi": "<b>Đúng hạn</b> (% hồ sơ đã giải quyết)",
                              "en": "<b>On time</b> (% of resolved)"},
    "agencies.online_axis": {"vi": "<b>Trực tuyến</b> (% hồ sơ tiếp nhận)",
                             "en": "<b>Online</b> (% of received)"},
    "agencies.all": {"vi": "Tất cả $total cơ quan có hồ sơ, tỷ lệ đúng hạn thấp nhất trước",
                     "en": "All $total agencies with dossiers, worst on-time rate first"},
    "agencies.some": {
        "vi": "$shown cơ quan có tỷ lệ đúng hạn thấp nhất trong $total cơ quan có hồ sơ ($rest cơ quan "
              "còn lại $others)",
        "en": "The $shown agencies with the lowest on-time rate, of $total with dossiers (the other "
              "$rest $others)",
    },
    "agencies.until": {"vi": "$name (đến $date)", "en": "$name (until $date)"},
    "agencies.since": {"vi": "$name (từ $date)", "en": "$name (from $date)"},
    "agencies.successor": {"vi": "<br>nhiệm vụ chuyển cho: $successor", "en": "<br>succeeded by: $successor"},
    "agencies.changed": {
        "vi": " $count cơ quan được thành lập hoặc chấm dứt trong năm (ghi \"từ\", \"đến\" sau tên): tỷ lệ "
              "của các cơ quan này chỉ tính phần năm cơ quan tồn tại; cơ quan cũ và cơ quan kế thừa "
              "là hai dòng riêng, di chuột để xem cơ quan kế thừa.",
        "en": " $count agencies began or ended during the year (marked \"from\", \"until\"): their rates "
              "cover only the part of the year they existed; an abolished agency and its successor are "
              "separate rows, hover for the successor.",
    },
    "agencies.rest_none": {"vi": "chưa giải quyết hồ sơ nào", "en": "have resolved nothing yet"},
    "agencies.rest_all": {"vi": "giải quyết đúng hạn mọi hồ sơ", "en": "resolve every dossier on time"},
    "agencies.rest_least": {"vi": "giải quyết đúng hạn ít nhất $rate",
                            "en": "resolve at least $rate on time"},
    "agencies.caption": {
        "vi": "$shown, trong năm báo cáo $year ($bounds). Điểm: tỷ lệ hồ sơ đã giải quyết được giải "
              "quyết đúng hạn (trục bắt đầu gần tỷ lệ thấp nhất). Cột: tỷ lệ hồ sơ tiếp nhận được nộp "
              "trực tuyến; di chuột để xem số hồ sơ. Màu: cấp hành chính.",
        "en": "$shown, in reporting year $year ($bounds). Dots: share of resolved dossiers resolved by "
              "their due date (the axis starts near the lowest rate). Bars: share of received dossiers "
              "filed online; hover for the counts. Colour: administrative level.",
    },
    # ---------------------------------------------------------------- districts
    "districts.title": {"vi": "Địa bàn cấp huyện có tỷ lệ hồ sơ trễ hạn cao nhất",
                        "en": "Districts with the most late dossiers"},
    "districts.bar": {"vi": "$rate  ($late trên $resolved)", "en": "$rate  ($late of $resolved)"},
    "districts.hover": {"vi": "%{y}: %{x:.2f} % trễ hạn<br>%{customdata[0]} cơ quan trên địa bàn"
                              "<extra></extra>",
                        "en": "%{y}: %{x:.2f} % late<br>%{customdata[0]} agencies in the district"
                              "<extra></extra>"},
    "districts.axis": {"vi": "Trễ hạn (% hồ sơ đã giải quyết)", "en": "Late (% of resolved)"},
    "districts.none": {"vi": "Không có hồ sơ đã giải quyết ở cấp huyện, cấp xã",
                       "en": "No resolved dossiers at district or commune level"},
    "districts.caption": {
        "vi": "Năm báo cáo $year ($bounds). Tỷ lệ hồ sơ giải quyết quá hạn, tính mọi cơ quan đóng trên "
              "địa bàn huyện (UBND huyện, chi nhánh văn phòng đăng ký đất đai, UBND cấp xã, chi cục "
              "thuế). Cao nhất trước; nhãn ghi số hồ sơ trễ hạn và số hồ sơ đã giải quyết.",
        "en": "Reporting year $year ($bounds). Share of dossiers resolved after their due date, counting "
              "every agency located in the district (its People's Committee, land registration branch, "
              "communes, tax sub-department). Worst first; the label gives late and resolved counts.",
    },
    "districts.ended": {
        "vi": " Cấp huyện kết thúc ngày $end (bỏ cấp huyện từ ngày hôm sau): biểu đồ chỉ tính hồ sơ đến "
              "ngày đó, không tính cả năm; sau đó các xã, phường báo cáo thẳng lên tỉnh.",
        "en": " The district level ended on $end (abolished the next day): the chart counts dossiers up "
              "to that day only, not the whole year; after it communes report straight to the province.",
    },
    # ---------------------------------------------------------------- levels, month by month
    "levels.title": {"vi": "Hồ sơ tiếp nhận theo cấp của cơ quan, từng tháng",
                     "en": "Dossiers received by level of the agency, month by month"},
    "levels.province": {"vi": "Cấp tỉnh: sở, ban, ngành", "en": "Province: departments"},
    "levels.district": {"vi": "Cấp huyện: UBND huyện, chi nhánh đăng ký đất đai",
                        "en": "District: committees and land offices"},
    "levels.commune": {"vi": "Cấp xã", "en": "Communes"},
    "levels.hover": {"vi": "$level, %{x|%m/%Y}: %{y:,} hồ sơ tiếp nhận (%{customdata[0]} cơ quan)"
                           "<extra></extra>",
                     "en": "$level, %{x|%m/%Y}: %{y:,} dossiers received (%{customdata[0]} agencies)"
                           "<extra></extra>"},
    "levels.span": {"vi": "từ tháng $first đến tháng $last", "en": "$first to $last"},
    "levels.axis": {"vi": "Hồ sơ tiếp nhận", "en": "Dossiers received"},
    "levels.month_axis": {"vi": "Tháng dương lịch", "en": "Calendar month"},
    "levels.reform": {"vi": "Bỏ cấp huyện, sáp nhập tỉnh ($date)",
                      "en": "District level abolished, provinces merged ($date)"},
    "levels.caption": {
        "vi": "Số hồ sơ tiếp nhận mỗi tháng dương lịch có dữ liệu xuất ($span), theo cấp của cơ quan "
              "tại thời điểm tiếp nhận (phiên bản của cơ quan vào ngày đó).",
        "en": "Dossiers received in each calendar month of the exports ($span), by the level of the "
              "agency at the time (its version on the day).",
    },
    "levels.caption_reform": {
        "vi": " Từ $date không còn cấp huyện: các xã, phường mới gửi hồ sơ thẳng lên tỉnh; chi nhánh văn "
              "phòng đăng ký đất đai vẫn tiếp nhận hồ sơ và được tính vào cấp tỉnh.",
        "en": " From $date there is no district level: the new communes report straight to the "
              "province; land office branches still receive dossiers and count with the province.",
    },
    # ---------------------------------------------------------------- procedures
    "procedures.title": {"vi": "Số hóa thủ tục hành chính theo mức độ dịch vụ công trực tuyến",
                         "en": "Procedure digitisation by online service level"},
    "procedures.level": {"vi": "Mức độ $level", "en": "Level $level"},
    "procedures.level.2": {"vi": "Mức độ 2<br>chỉ cung cấp thông tin", "en": "Level 2<br>information only"},
    "procedures.level.3": {"vi": "Mức độ 3<br>trực tuyến một phần", "en": "Level 3<br>partly online"},
    "procedures.level.4": {"vi": "Mức độ 4<br>trực tuyến toàn trình", "en": "Level 4<br>fully online"},
    "procedures.catalog_title": {"vi": "Danh mục cung cấp (số thủ tục)",
                                 "en": "What the catalog offers (procedures)"},
    "procedures.usage_title": {"vi": "Người dân, doanh nghiệp sử dụng (% hồ sơ)",
                               "en": "What applicants use (% of dossiers)"},
    "procedures.all": {"vi": "tất cả", "en": "all"},
    "procedures.payable_online": {"vi": "thanh toán trực tuyến được", "en": "payable online"},
    "procedures.by_post": {"vi": "nhận qua bưu chính công ích", "en": "by post"},
    "procedures.filed_online": {"vi": "nộp trực tuyến", "en": "filed online"},
    "procedures.paid_online": {"vi": "thanh toán trực tuyến (trên số hồ sơ có phí)",
                               "en": "paid online (of those with a fee)"},
    "procedures.filed_by_post": {"vi": "gửi qua bưu chính công ích", "en": "filed by post"},
    "procedures.hover_count": {"vi": "%{x}: %{y:,} thủ tục, $name<extra></extra>",
                               "en": "%{x}: %{y:,} procedures, $name<extra></extra>"},
    "procedures.hover_rate": {
        "vi": "%{x}: %{y:.1f} % $name (%{customdata[0]:,} trên %{customdata[1]:,})<extra></extra>",
        "en": "%{x}: %{y:.1f} % $name (%{customdata[0]:,} of %{customdata[1]:,})<extra></extra>",
    },
    "procedures.catalog_legend": {"vi": "Thủ tục trong danh mục:", "en": "Catalog procedures:"},
    "procedures.dossiers_legend": {"vi": "Hồ sơ:", "en": "Dossiers:"},
    "procedures.none": {"vi": "Không có thủ tục nào có hồ sơ trong bản phát hành này",
                        "en": "No procedures with dossiers in this release"},
    "procedures.caption": {
        "vi": "Năm báo cáo $year ($bounds). Trái: số thủ tục hành chính trong danh mục ở từng mức độ dịch "
              "vụ công trực tuyến, và bao nhiêu thủ tục nhận thanh toán phí, lệ phí trực tuyến hoặc nhận "
              "hồ sơ qua bưu chính công ích. Phải: trong số hồ sơ tiếp nhận của các thủ tục đó, tỷ lệ "
              "nộp trực tuyến, thanh toán trực tuyến (trên số hồ sơ có phí) và gửi qua bưu chính.",
        "en": "Reporting year $year ($bounds). Left: catalog procedures at each online service level, and "
              "how many of them take fees online or dossiers by public postal service. Right: of the "
              "dossiers received for those procedures, the share filed online, paid online (of dossiers "
              "with a fee) and sent by post.",
    },
    # ---------------------------------------------------------------- Decision 766
    "d766.title": {"vi": "Chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766): điểm từ dữ liệu hồ sơ",
                   "en": "Decision 766 service index: what the dossiers earn"},
    "d766.processing_progress": {"vi": "Tiến độ giải quyết<br><sub>hồ sơ giải quyết đúng hạn</sub>",
                                 "en": "Processing progress<br><sub>resolved by the due date</sub>"},
    "d766.online_procedures": {
        "vi": "Thủ tục trực tuyến<br><sub>thủ tục có dịch vụ công trực tuyến mức độ 3, 4</sub>",
        "en": "Online procedures<br><sub>catalog at service level 3-4</sub>"},
    "d766.online_dossiers": {"vi": "Hồ sơ trực tuyến<br><sub>đủ điểm khi 50 % hồ sơ trực tuyến</sub>",
                             "en": "Online dossiers<br><sub>full points at 50 % online</sub>"},
    "d766.online_payment": {"vi": "Thanh toán trực tuyến<br><sub>phí, lệ phí nộp trực tuyến</sub>",
                            "en": "Online payment<br><sub>fees paid online</sub>"},
    "d766.digitisation": {"vi": "Số hóa hồ sơ<br><sub>cận dưới: hồ sơ trực tuyến</sub>",
                          "en": "Digitisation<br><sub>lower bound: online dossiers</sub>"},
    "d766.group": {"vi": "nhóm $group: $name", "en": "group $group: $name"},
    "d766.group.1": {"vi": "công khai, minh bạch", "en": "transparency"},
    "d766.group.2": {"vi": "tiến độ giải quyết", "en": "processing progress"},
    "d766.group.3": {"vi": "dịch vụ công trực tuyến", "en": "online public services"},
    "d766.group.4": {"vi": "thanh toán trực tuyến", "en": "online payment"},
    "d766.group.5": {"vi": "mức độ hài lòng", "en": "satisfaction"},
    "d766.group.6": {"vi": "số hóa hồ sơ", "en": "digitisation"},
    "d766.available": {"vi": "Điểm tối đa", "en": "Points available"},
    "d766.earned": {"vi": "Điểm đạt được", "en": "Points earned"},
    "d766.hover": {
        "vi": "%{customdata[4]}<br>%{x:.2f} điểm: %{customdata[0]:.1f} % (%{customdata[1]:,} trên "
              "%{customdata[2]:,}), đủ điểm khi đạt %{customdata[3]:.0f} %<extra></extra>",
        "en": "%{customdata[4]}<br>%{x:.2f} points: %{customdata[0]:.1f} % (%{customdata[1]:,} of "
              "%{customdata[2]:,}), full points at %{customdata[3]:.0f} %<extra></extra>",
    },
    "d766.axis": {"vi": "Điểm", "en": "Points"},
    "d766.none": {"vi": "Không có chỉ số Quyết định 766 cho năm $year",
                  "en": "No Decision 766 indicators for $year"},
    "d766.caption": {
        "vi": "Năm báo cáo $year ($bounds): $earned trên $available điểm mà dữ liệu hồ sơ xuất tính được "
              "(thang 100 điểm; nhóm công khai, minh bạch và nhóm mức độ hài lòng cần khảo sát). Mỗi "
              "thanh: điểm đạt được so với điểm tối đa; di chuột để xem tỷ lệ tương ứng.",
        "en": "Reporting year $year ($bounds): $earned of the $available points the exports can compute "
              "(of 100; transparency and satisfaction need surveys). Each bar: points earned against "
              "points available; hover for the share behind them.",
    },
    # ---------------------------------------------------------------- report against exports
    "rve.title": {"vi": "Báo cáo so với dữ liệu hồ sơ xuất", "en": "The report against the exports"},
    "rve.counts_title": {"vi": "Số lượng: báo cáo và dữ liệu xuất (thang logarit)",
                         "en": "Counts: report and exports (log scale)"},
    "rve.percents_title": {"vi": "Tỷ lệ: dữ liệu xuất trừ báo cáo",
                           "en": "Percentages: exports minus report"},
    "rve.count_label": {"vi": "$metric<br><sub>dữ liệu xuất bằng $share số báo cáo</sub>",
                        "en": "$metric<br><sub>exports $share of the report</sub>"},
    "rve.percent_label": {"vi": "$metric<br><sub>báo cáo $report % · dữ liệu xuất $exports %</sub>",
                          "en": "$metric<br><sub>report $report % · exports $exports %</sub>"},
    "rve.report_says": {"vi": "Báo cáo nêu", "en": "Report says"},
    "rve.listed": {"vi": "Dữ liệu xuất: ghi vào sổ chênh lệch", "en": "Exports: listed in the register"},
    "rve.agrees": {"vi": "Dữ liệu xuất: trong ngưỡng sai số", "en": "Exports: within tolerance"},
    "rve.hover_report": {"vi": "báo cáo nêu %{x:,.0f} (dòng %{customdata[0]})<extra></extra>",
                         "en": "report says %{x:,.0f} (line %{customdata[0]})<extra></extra>"},
    "rve.hover_exports": {"vi": "dữ liệu xuất cộng lại được %{x:,.0f}<extra></extra>",
                          "en": "exports add up to %{x:,.0f}<extra></extra>"},
    "rve.hover_difference": {
        "vi": "%{x:+.2f} điểm phần trăm: dữ liệu xuất %{customdata[0]:,} trên %{customdata[1]:,}, "
              "dòng %{customdata[2]} của báo cáo<extra></extra>",
        "en": "%{x:+.2f} points: exports %{customdata[0]:,} of %{customdata[1]:,}, "
              "report line %{customdata[2]}<extra></extra>",
    },
    "rve.counts_axis": {"vi": "Hồ sơ", "en": "Dossiers"},
    "rve.points_axis": {"vi": "Điểm phần trăm", "en": "Percentage points"},
    "rve.points_suffix": {"vi": " điểm", "en": " pt"},
    "rve.none": {"vi": "Không có số liệu báo cáo nào mà dữ liệu xuất tính lại được",
                 "en": "No report figure the exports can recompute"},
    "rve.caption": {
        "vi": "Các số liệu của báo cáo năm $year mà dữ liệu hồ sơ xuất tính lại được cho cùng kỳ báo cáo "
              "($bounds; dữ liệu xuất phủ $covered / $days ngày): $listed trên $total số liệu chênh lệch "
              "quá ngưỡng sai số và được ghi vào sổ chênh lệch (màu cam); số liệu màu xanh là khớp. Số "
              "lượng có thể chênh nhau nhiều bậc khi dữ liệu xuất chỉ gồm một phần hồ sơ của tỉnh; tỷ lệ "
              "tính từ đó vẫn nên khớp.",
        "en": "Figures of the $year report that the dossier exports can recompute for the same period "
              "($bounds; the exports cover $covered of its $days days): $listed of $total disagree beyond "
              "tolerance and are listed in the discrepancy register (orange); green ones agree. Counts "
              "can differ by orders of magnitude where the exports cover only some of the province's "
              "dossiers; rates computed from them should still agree.",
    },
    # ---------------------------------------------------------------- discrepancy register
    "register.title": {"vi": "Sổ chênh lệch", "en": "Discrepancy register"},
    "register.caption": {
        "vi": "Mọi phát hiện của các kiểm tra báo cáo trong bản phát hành này, kèm cả hai giá trị: số "
              "liệu của báo cáo mâu thuẫn với nhau hoặc với tổng cộng từ dữ liệu hồ sơ xuất. Cảnh báo "
              "được liệt kê ở đây và không chặn việc công bố; lỗi thì dừng bản phát hành.",
        "en": "Every finding of a failed report check in this release, with both values: figures of the "
              "report that disagree with each other or with what the exports add up to. Warnings are "
              "listed here and do not block publishing; a failure stops the release.",
    },
    "register.none": {"vi": "Bản phát hành này không có chênh lệch nào: mọi kiểm tra báo cáo đều đạt.",
                      "en": "No discrepancies in this release: every report check passed."},
    "register.status": {"vi": "Mức độ", "en": "Status"},
    "register.check": {"vi": "Kiểm tra", "en": "Check"},
    "register.figure": {"vi": "Chỉ tiêu", "en": "Figure"},
    "register.year": {"vi": "Năm", "en": "Year"},
    "register.expected": {"vi": "Giá trị kỳ vọng", "en": "Expected"},
    "register.observed": {"vi": "Giá trị ghi nhận", "en": "Observed"},
    "register.difference": {"vi": "Chênh lệch", "en": "Difference"},
    "register.tolerance": {"vi": "Ngưỡng sai số", "en": "Tolerance"},
    "register.lines": {"vi": "Dòng trong báo cáo", "en": "Report lines"},
    "register.finding": {"vi": "Phát hiện", "en": "Finding"},
    "severity.fail": {"vi": "Lỗi", "en": "Failure"},
    "severity.warn": {"vi": "Cảnh báo", "en": "Warning"},
    "check.report_matches_exports": {"vi": "Báo cáo khớp với dữ liệu hồ sơ xuất",
                                     "en": "Report matches the exports"},
    "reason.report_matches_exports": {
        "vi": "hai nguồn không khớp chính là điều sổ chênh lệch ghi lại; nguồn nào sai cần người xem xét, "
              "nên chỉ liệt kê, không chặn việc công bố",
        "en": "two sources disagreeing is the finding the register exists for; which one is wrong needs "
              "a person, so it is listed, not blocking",
    },
    **{f"check.{check}": {"vi": vi, "en": en} for check, (vi, en) in _REPORT_CHECKS.items()},
    **{f"reason.{check}": _REPORT_SLIP for check in _REPORT_CHECKS},
}

# Plotly's own words (the toolbar's tooltips and messages), keyed by its English text, and
# how a Vietnamese page writes dates and numbers; registered as the plotly.js locale "vi".
PLOTLY_VI = {
    "moduleType": "locale",
    "name": "vi",
    "dictionary": {
        "Autoscale": "Tự động co giãn",
        "Box Select": "Chọn vùng chữ nhật",
        "Compare data on hover": "So sánh dữ liệu khi di chuột",
        "Double-click on legend to isolate one trace": "Nhấp đúp vào chú giải để chỉ xem một chuỗi",
        "Double-click to zoom back out": "Nhấp đúp để thu nhỏ lại",
        "Download plot": "Tải biểu đồ",
        "Download plot as a PNG": "Tải biểu đồ dạng PNG",
        "Image download succeeded": "Đã tải ảnh xong",
        "Lasso Select": "Chọn vùng tự do",
        "Pan": "Kéo",
        "Preparing image - this may take a few seconds": "Đang chuẩn bị ảnh, xin chờ vài giây",
        "Reset axes": "Đặt lại trục",
        "Share chart": "Chia sẻ biểu đồ",
        "Share chart...": "Chia sẻ biểu đồ...",
        "Show closest data on hover": "Hiện dữ liệu gần nhất khi di chuột",
        "Toggle Spike Lines": "Bật/tắt đường gióng",
        "Toggle show closest data on hover": "Bật/tắt hiện dữ liệu gần nhất khi di chuột",
        "Zoom": "Phóng to vùng chọn",
        "Zoom in": "Phóng to",
        "Zoom out": "Thu nhỏ",
    },
    "format": {
        "days": ["Chủ Nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"],
        "shortDays": ["CN", "T2", "T3", "T4", "T5", "T6", "T7"],
        "months": [f"Tháng {month}" for month in range(1, 13)],
        "shortMonths": [f"Th{month}" for month in range(1, 13)],
        "date": "%d/%m/%Y",
        "decimal": ",",
        "thousands": ".",
    },
}


class Labels:
    """The page's words and number formats in one language: `t("months.title")`."""

    def __init__(self, lang: str = DEFAULT_LANG) -> None:
        if lang not in LANGS:
            raise ValueError(f"unknown language {lang!r}: the dashboard speaks {', '.join(LANGS)}")
        self.lang = lang

    def __call__(self, key: str, **values: object) -> str:
        return Template(LABELS[key][self.lang]).substitute({k: str(v) for k, v in values.items()})

    def get(self, key: str, default: str) -> str:
        """The label of `key` if the table has one (ids read from the data), else `default`."""
        return self(key) if key in LABELS else default

    # ------------------------------------------------------------ numbers and dates
    @property
    def separators(self) -> str:
        """Plotly's layout.separators: the decimal mark, then the thousands separator."""
        return ",." if self.lang == "vi" else ".,"

    @property
    def plotly_locale(self) -> dict | None:
        return PLOTLY_VI if self.lang == "vi" else None

    def _local(self, text: str) -> str:
        return text.translate(str.maketrans(",.", ".,")) if self.lang == "vi" else text

    def number(self, value: float | int | None, digits: int = 0) -> str:
        """1787 -> "1.787" (vi) / "1,787" (en)."""
        return "–" if value is None else self._local(f"{value:,.{digits}f}")

    def percent(self, value: float | None, digits: int = 1) -> str:
        """65.27 -> "65,3 %" (vi) / "65.3 %" (en)."""
        return "–" if value is None else f"{self.number(value, digits)} %"

    def short(self, value: float | None) -> str:
        """The shortest form of a value (19.65 -> "19,65", 20.0 -> "20"), as "{:g}" writes it."""
        return "–" if value is None else self._local(f"{value:g}")

    def decimal(self, value: float | None, digits: int = 2) -> str:
        """A value to `digits` places without trailing zeros, with thousands separated."""
        if value is None:
            return ""
        text = f"{value:,.{digits}f}"
        return self._local(text.rstrip("0").rstrip(".") if "." in text else text)

    def date(self, value: date) -> str:
        return f"{value:%d/%m/%Y}"

    def month(self, value: date) -> str:
        return f"{value:%m/%Y}"

    def day(self, value: date) -> str:
        """A day in running text: "01/07/2025" (vi) / "1 Jul 2025" (en)."""
        return f"{value:%d/%m/%Y}" if self.lang == "vi" else f"{value.day} {value:%b %Y}"
