"""Mentions: every number of the text with its sentence and section, whether a rule read
it as a figure or not (what a reader checks recall against)."""

from __future__ import annotations

import bisect
import re

from ingest.reports.figures import Hit
from ingest.reports.layout import Document
from ingest.reports.model import Mention
from ingest.reports.normalize import NUMBER_RE, parse_fraction

MENTION_RE = re.compile(rf"(?<![\w.,/])(?P<num>(?:{NUMBER_RE})(?:\s*/\s*(?:{NUMBER_RE}))?)(?![\w/]|[.,]\d)")


def find_mentions(layout: Document, hits: list[Hit]) -> list[Mention]:
    """Every number in the running text, with the catalog metric that used it, if any."""
    used: list[tuple[int, int, str]] = sorted((h.span[0], h.span[1], h.figure.metric) for h in hits)
    used_starts = [a for a, _, _ in used]
    starts = [s.start for s in layout.sentences]
    mentions: list[Mention] = []
    text = layout.match
    for match in MENTION_RE.finditer(text):
        start, end = match.span("num")
        if start >= 2 and text[start - 1] == "-" and text[start - 2].isalpha():
            continue  # "covid-19", codes
        index = bisect.bisect_right(starts, start) - 1
        if index < 0 or start >= layout.sentences[index].end:
            continue
        sentence = layout.sentences[index]
        raw = match.group("num")
        value, _ = parse_fraction(raw)
        tail = text[end : end + 12]
        if re.match(r"\s*%", tail):
            unit: str | None = "percent"
        elif re.match(r"\s*trieu dong", tail):
            unit = "million_vnd"
        elif re.match(r"\s*dong\b", tail):
            unit = "vnd"
        elif re.fullmatch(r"(?:19|20)\d\d", raw) and (
            text[max(0, start - 4) : start] == "nam "
            or text[end : end + 1] == "-"
            or text[start - 1 : start] == "-"
        ):
            unit = "year"
        else:
            unit = None
        i = bisect.bisect_right(used_starts, start)
        metric = used[i - 1][2] if i and start < used[i - 1][1] else None
        mentions.append(
            Mention(
                value=value,
                unit=unit,
                raw_text=layout.original_span(start, end),
                line=layout.line_of(start),
                sentence=sentence.text,
                section=sentence.section,
                metric=metric,
            )
        )
    return mentions
