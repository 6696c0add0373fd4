"""The published discrepancy register (marts.rpt_discrepancy_register): each finding of
this release's gate in words a provincial official can read, with the report's lines.

The gate stores findings as numbers (audit.discrepancy_register: metrics, expected,
observed, difference, tolerance, source lines); here each gets its metrics' labels, a
sentence in Vietnamese and in English (expectations/register_messages.yml), and the text
of its source lines, each line and each text once. Imports neither GX nor pandas.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb

from ingest.reports.normalize import read_yaml
from ingest.warehouse import quote_literal

MESSAGES_FILE = Path(__file__).with_name("register_messages.yml")

COLUMNS = {
    "check_name": ("varchar", "The check that found it (audit.check_results.check_name)."),
    "severity": ("varchar", "warn: published as a finding; fail: blocked the release."),
    "suite": ("varchar", "The table the check validates."),
    "province_name": ("varchar", "Province of the report, as published (with diacritics)."),
    "report_year": ("integer", "Year of the report."),
    "metrics": ("varchar", "Metric codes involved, comma-separated (dim_metrics.metric_id)."),
    "metric_labels": ("varchar", "The same metrics by their Vietnamese labels, ' ; '-separated."),
    "expected": ("double", "What the other figure(s) say the value should be (see message)."),
    "observed": ("double", "The value found."),
    "difference": ("double", "observed - expected."),
    "tolerance": ("double", "How far observed may be from expected before it is a finding."),
    "source_lines": ("varchar", "Lines of the report text the figures come from, each once."),
    "source_text": ("varchar", "Those lines' text (as extracted), each distinct text once."),
    "message": ("varchar", "The finding in Vietnamese: labels, both values, difference, tolerance."),
    "message_en": ("varchar", "The finding in English."),
    "report_id": ("varchar", "The report (fct_report_figures.report_id)."),
}
TABLE_COMMENT = (
    "One row per finding of this release's checks, in words: a report figure that disagrees "
    "with the report's other figures or with what the exports add up to, both values, by how "
    "much, the tolerance, and the report's lines. Findings are published, not hidden; the "
    "report is kept.")

FINDINGS_SQL = """
with reports as (
    select distinct report_id, province_name, report_year from src.marts.fct_report_figures
)
select
    register.check_name, register.severity, register.suite, reports.province_name,
    reports.report_year, register.metrics, register.expected, register.observed,
    register.difference, register.tolerance, register.source_lines, register.report_id
from src.audit.discrepancy_register as register
left join reports on register.report_id = reports.report_id
where register.run_id = ?
order by register.severity, register.check_name, register.metrics, register.source_lines
"""
# The text of a report's line, from either table of report facts (changes have lines too).
TEXTS_SQL = """
select report_id, source_line, any_value(source_text) from src.marts.fct_report_figures
where source_text is not null group by all
union
select report_id, source_line, any_value(source_text) from src.marts.fct_report_changes
where source_text is not null group by all
"""


@cache
def messages() -> dict[str, dict[str, str]]:
    return read_yaml(MESSAGES_FILE)


def format_number(value: float | None, lang: str, signed: bool = False) -> str:
    """1234.5 -> "1.234,5" (vi) / "1,234.5" (en); whole numbers without decimals."""
    if value is None:
        return "?"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
    if signed and value > 0:
        text = "+" + text
    if lang == "vi":
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    return text


def unique_lines(source_lines: str | None) -> list[int]:
    """"617,619,619,620" -> [617, 619, 620], in the order first met."""
    seen = dict.fromkeys(int(part) for part in (source_lines or "").split(",") if part.strip())
    return list(seen)


def describe(check: str, metrics: list[str], labels: dict[str, dict[str, str]],
             values: dict[str, float | None], is_percent: bool) -> dict[str, str]:
    """The finding as a sentence per language ({"vi": ..., "en": ...})."""
    template = messages().get(check, messages()["default"])
    sentences = {}
    for lang in ("vi", "en"):
        named = [labels.get(code, {}).get(lang) or code for code in metrics] or ["?"]
        sentences[lang] = template[lang].format(
            label=named[0], rest=", ".join(named[1:]) or named[0],
            parts=" + ".join(named[:-1]) or named[0], whole=named[-1],
            unit="%" if is_percent else "",
            expected=format_number(values["expected"], lang),
            observed=format_number(values["observed"], lang),
            difference=format_number(values["difference"], lang, signed=True),
            tolerance=format_number(values["tolerance"], lang))
    return sentences


def build_register_mart(con: duckdb.DuckDBPyConnection, release_id: str) -> int:
    """Create marts.rpt_discrepancy_register in the release being built (the warehouse
    attached as `src`). Returns its row count."""
    labels, percent_metrics = metric_labels(con)
    texts = {(report, line): text for report, line, text in con.execute(TEXTS_SQL).fetchall()}
    rows = []
    for (check, severity, suite, province, year, metrics, expected, observed, difference,
         tolerance, source_lines, report_id) in con.execute(FINDINGS_SQL, [release_id]).fetchall():
        codes = [code.strip() for code in (metrics or "").split(",") if code.strip()]
        lines = unique_lines(source_lines)
        line_texts = dict.fromkeys(texts[(report_id, line)] for line in lines
                                   if (report_id, line) in texts)
        values = {"expected": expected, "observed": observed, "difference": difference,
                  "tolerance": tolerance}
        words = describe(check, codes, labels, values, bool(codes) and codes[0] in percent_metrics)
        rows.append([check, severity, suite, province, year, metrics,
                     " ; ".join(labels.get(code, {}).get("vi") or code for code in codes),
                     expected, observed, difference, tolerance,
                     ",".join(map(str, lines)), "\n".join(line_texts),
                     words["vi"], words["en"], report_id])
    con.execute("create table marts.rpt_discrepancy_register ("
                + ", ".join(f"{name} {kind}" for name, (kind, _) in COLUMNS.items()) + ")")
    if rows:
        con.executemany(f"insert into marts.rpt_discrepancy_register values "
                        f"({', '.join('?' * len(COLUMNS))})", rows)
    con.execute(f"comment on table marts.rpt_discrepancy_register is {quote_literal(TABLE_COMMENT)}")
    for name, (_, comment) in COLUMNS.items():
        con.execute(f"comment on column marts.rpt_discrepancy_register.{name} is {quote_literal(comment)}")
    return len(rows)


def metric_labels(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, dict[str, str]], set[str]]:
    """Labels (metric -> {"vi", "en"}) and the percent metrics, from the release's source."""
    rows = con.execute("select metric_id, label_vi, label_en, is_percent "
                       "from src.marts.dim_metrics").fetchall()
    return ({metric: {"vi": vi, "en": en} for metric, vi, en, _ in rows},
            {metric for metric, _, _, is_percent in rows if is_percent})
