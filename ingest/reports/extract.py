"""Yearly CCHC report (text, PDF with a text layer, or an image through OCR) -> typed figures.

One job per module, around a typed Document (layout.py): reading.py reads the file (OCR
when it has no text), layout.py lays the text out (lines, footnotes, paragraphs,
sentences, sections), figures.py applies the phrasing rules, families and tables and the
context, mentions.py and changes.py read the rest; this module runs them in order and
settles the document's facts (province, year, period). Rules are loaded once per rules
folder (cached). Every figure keeps its 1-based input line and the original sentence it
was read from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path
from typing import Any

from ingest.reports.changes import find_changes
from ingest.reports.document import (
    canonical_province,
    dateline,
    landing_facts,
    province_from_text,
    split_source_line,
)
from ingest.reports.families import find_periods, load_families
from ingest.reports.figures import (
    Hit,
    figure_key,
    find_family_hits,
    find_rule_hits,
    find_table_hits,
    headline_lines,
    on_due_date_beside_early,
    with_context,
)
from ingest.reports.layout import Document, read_layout
from ingest.reports.mentions import find_mentions
from ingest.reports.model import Figure, ReportError, ReportExtraction
from ingest.reports.reading import read_report_text
from ingest.reports.rules import RuleSet, load_rules

log = logging.getLogger(__name__)


def parse_dmy(raw: str) -> dt.date | None:
    try:
        day, month, year = (int(p) for p in raw.split("/"))
        return dt.date(year, month, day)
    except ValueError:
        return None


def extract_text(
    text: str,
    source_file: str = "<text>",
    report_id: str | None = None,
    rules_dir: Path | None = None,
    *,
    province: str | None = None,
    year: int | None = None,
    landing_path: Path | None = None,
) -> ReportExtraction:
    """Extract figures, mentions and metadata from report text already in memory.

    Province and year come from the text, else from `landing_path`
    (reports/<province>/<year>/file), else from `province`/`year`. `rules_dir` swaps
    in another rules folder (same layout as rules/), e.g. to try a new phrasing.
    """
    rules = load_rules(rules_dir) if rules_dir else load_rules()
    families = load_families(rules_dir) if rules_dir else load_families()
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ReportError(f"{source_file}: the report text is empty")
    text, source_address = split_source_line(text)
    layout = read_layout(text, rules)
    if not rules.report_markers.search(" ".join(layout.match.split())):
        raise ReportError(
            f"{source_file}: not a CCHC report (no mention of cai cach hanh chinh, "
            "thu tuc hanh chinh or ho so)"
        )

    hits = find_rule_hits(layout, rules)
    by_metric = {h.figure.metric: h.figure for h in hits}
    document = _document(layout, rules, by_metric, source_file, source_address)
    mentions = find_periods([s.compact for s in layout.sentences], families, document["dateline"])
    if document["report_year"] is None and mentions:
        # A text that is not a formal report is about the year of its first period
        # phrase ("Nam 2021, chi so ...", "Trong thang 10-2020, ...").
        document["report_year"], document["year_source"] = mentions[0].year, "text"
    _settle_facts(document, rules, landing_path, province, year)
    table_hits, table_rows = find_table_hits(layout, families, rules)
    if table_hits:
        document["kind"] = "statistics"
    hits += find_family_hits(layout, rules, families, hits, table_rows, document) + table_hits
    on_due_date_beside_early(hits, families)

    own_period = str(document["report_year"]) if document["report_year"] else None
    contextual = with_context(hits, layout, rules, mentions, own_period,
                               per_paragraph=document["kind"] == "report")
    figures: list[Figure] = []
    kept_hits: list[Hit] = []
    seen: set[tuple] = set()
    headline = headline_lines(layout, families.headline_lines)
    later = {f.metric for f in contextual if f.line not in headline}
    for hit, figure in zip(hits, contextual, strict=True):
        key = figure_key(figure)
        if key in seen:
            continue  # the same figure repeated later (e.g. in the assessment part)
        if figure.line in headline and figure.metric in later:
            continue  # a headline restating a body figure in round numbers
        seen.add(key)
        figures.append(figure)
        kept_hits.append(hit)

    if report_id is None:
        report_id = hashlib.sha256(text.encode("utf-8")).hexdigest()
    document["report_id"] = report_id
    return ReportExtraction(
        report_id=report_id,
        source_file=source_file,
        document=document,
        figures=figures,
        mentions=find_mentions(layout, hits),
        changes=find_changes(layout, list(zip(kept_hits, figures, strict=True)), rules_dir),
    )


def _document(
    layout: Document, rules: RuleSet, by_metric: dict[str, Figure], source_file: str,
    source_address: str | None,
) -> dict[str, Any]:
    flat = " ".join(layout.match.split())
    content = [line for line in layout.match.split("\n") if line.strip()]
    title_line = " ".join(content[0].split()) if content else ""
    province = province_from_text(title_line, source_address, flat, rules)
    title = None
    if "title" in rules.document:
        found = rules.document["title"].search(layout.match)
        if found:
            a, b = found.span("title")
            title = " ".join(layout.original_span(a, b).split())
    period_start = period_end = None
    if "period" in rules.document:
        found = rules.document["period"].search(flat)
        if found:
            period_start, period_end = parse_dmy(found.group("start")), parse_dmy(found.group("end"))
    issued = by_metric.get("report_issued_date")
    number = by_metric.get("report_number")
    year = by_metric.get("report_year")
    return {
        "report_id": None,  # filled by the caller that knows the bytes
        "source_file": source_file,
        "source_address": source_address,
        "province": province,
        "province_source": "text" if province else None,
        "kind": "report" if number or year else "news",
        "report_number": number.value if number else None,
        "issued_date": dt.date.fromisoformat(str(issued.value)) if issued else None,
        "report_year": int(year.value) if year else None,
        "year_source": "text" if year else None,
        "period_start": period_start,
        "period_end": period_end,
        "title": title,
        "dateline": dateline(content[:6]),
        "legal_references": layout.legal_references,
        "line_count": layout.norm.original.count("\n") + (0 if layout.norm.original.endswith("\n") else 1),
    }


def _settle_facts(
    document: dict[str, Any], rules: RuleSet, landing_path: Path | None,
    province: str | None, year: int | None,
) -> None:
    """Fill province and year the text does not state: from its landing path, else the
    caller's values."""
    path_province, path_year = landing_facts(landing_path, rules)
    if document["province"] is None:
        if path_province:
            document["province"], document["province_source"] = path_province, "path"
        elif province:
            known = canonical_province(province, rules)
            if known is None:
                raise ReportError(f"unknown province {province!r}: give a province name as published "
                                  "(e.g. 'Khanh Hoa', 'Khánh Hòa' or 'khanh-hoa')")
            document["province"], document["province_source"] = known, "option"
    if document["report_year"] is None:
        for value, source in ((path_year, "path"), (year, "option")):
            if value:
                document["report_year"], document["year_source"] = int(value), source
                break


def extract_report(path: Path, *, province: str | None = None, year: int | None = None) -> ReportExtraction:
    """Read one report file and extract its figures; ReportError on bad input.

    `province` and `year` are used when neither the text nor the landing path
    (reports/<province>/<year>/file) gives them."""
    path = Path(path)
    text = read_report_text(path)
    report_id = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        extraction = extract_text(text, source_file=str(path), report_id=report_id,
                                  province=province, year=year, landing_path=path)
    except ReportError as exc:
        message = str(exc)
        if not message.startswith(str(path)):
            message = f"{path}: {message}"
        raise ReportError(message) from exc
    return extraction
