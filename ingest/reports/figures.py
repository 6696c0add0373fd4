"""Figures from a Document: the phrasing rules (rules/*.yml, one regex per phrasing, per
sentence), the families of figure phrases and tables (families.py, tables.py), and the
context (scope and period qualifiers from the paragraph rather than the phrase)."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

from ingest.reports.document import province_mentions
from ingest.reports.families import (
    Families,
    FamilyFigure,
    PeriodMention,
    SentenceContext,
    read_sentence,
    subjects,
)
from ingest.reports.layout import Document, Sentence, line_spans
from ingest.reports.model import Figure
from ingest.reports.normalize import (
    parse_fraction,
    parse_number,
    printed_decimals,
    title_case,
)
from ingest.reports.rules import Emit, Rule, RuleSet
from ingest.reports.tables import TableFigure, read_tables

log = logging.getLogger(__name__)


@dataclass
class Hit:
    figure: Figure
    span: tuple[int, int]  # value span in the matching form
    paragraph: int
    clause: str = ""  # the sentence's last words before the value (matching form, compact)
    sentence: int = -1  # index of the sentence, and the value's span in its compact text
    at: tuple[int, int] = (0, 0)


def unit_name(text: str, rules: RuleSet) -> str:
    """Canonical unit name: the vocabulary's spelling, else Title Case."""
    known = rules.lookup("unit", text)
    if known:
        return known
    words = text.split()
    if words and words[0] == "so":  # a department: "So Ke hoach va Dau tu" style
        parts = " ".join(words[1:]).split(" va ")
        return "So " + " va ".join(p[:1].upper() + p[1:] for p in parts)
    return title_case(text)


def _qualifiers(
    emit: Emit, match: re.Match[str], outer: re.Match[str] | None, rules: RuleSet
) -> dict[str, Any] | None:
    result: dict[str, Any] = {}
    for name, spec in emit.qualifiers.items():
        if spec.startswith("@"):
            group, _, vocab_name = spec[1:].partition(":")
            # A list item may use a group of the phrase around the list ("khoi so, ban, nganh").
            source = match if group in match.re.groupindex or outer is None else outer
            captured = source.groupdict().get(group)
            if captured is None:
                return None
            if name == "unit" and not vocab_name:
                value: Any = unit_name(captured, rules)
            else:
                value = rules.lookup(vocab_name or name, captured)
                if value is None:
                    log.debug("no %s for %r", vocab_name or name, captured)
                    return None
        else:
            value = spec
        result[name] = int(value) if name == "service_level" else value
    return result


def read_figure(
    emit: Emit,
    match: re.Match[str],
    sentence: Sentence,
    layout: Document,
    rules: RuleSet,
    outer: re.Match[str] | None = None,
) -> Hit | None:
    metric = rules.catalog[emit.metric]
    group = "d" if emit.fmt == "date" else emit.value
    if match.groupdict().get(group) is None:
        return None  # optional part of the phrase was absent
    span = match.span(group)
    denominator: float | None = None
    decimals: int | None = None
    if emit.fmt == "code":
        value: float | str = re.sub(r"\s+", "", match.group(group)).upper()
    elif emit.fmt == "date":
        try:
            value = dt.date(int(match.group("y")), int(match.group("m")), int(match.group("d"))).isoformat()
        except ValueError:
            return None
        span = (match.start("d"), match.end("y"))
    else:
        number, denominator = parse_fraction(match.group(group))
        value = number
        decimals = printed_decimals(match.group(group))
        if emit.denominator and match.groupdict().get(emit.denominator):
            denominator = parse_number(match.group(emit.denominator))
    qualifiers = _qualifiers(emit, match, outer, rules)
    if qualifiers is None:
        return None
    start = sentence.index[span[0]]
    end = sentence.index[max(span[1] - 1, span[0])] + 1
    figure = Figure(
        metric=emit.metric,
        value=value,
        unit=metric.unit,
        qualifiers=qualifiers,
        denominator=denominator,
        line=layout.line_of(start),
        text=sentence.text,
        decimals=decimals,
    )
    return Hit(figure, (start, end), sentence.paragraph, _words_before(sentence, span[0]), at=span)


def _words_before(sentence: Sentence, pos: int) -> str:
    """What a clause label ("cap huyen: ...") needs: the last words before a value, bounded
    so that a sentence of thousands of figures stays linear."""
    return sentence.compact[max(0, pos - 400) : pos]


def apply_rule(
    rule: Rule, sentence: Sentence, previous: str, layout: Document, rules: RuleSet
) -> list[Hit]:
    text = sentence.compact
    if rule.exclude and rule.exclude.search(text):
        return []
    if rule.context and not rule.context.search(previous + " " + text):
        return []
    hits: list[Hit] = []
    for match in rule.pattern.finditer(text):
        for emit in rule.emits:
            hit = read_figure(emit, match, sentence, layout, rules)
            if hit:
                hits.append(hit)
        for spec in rule.lists:
            if match.groupdict().get(spec.group) is None:
                continue
            a, b = match.span(spec.group)
            items = sorted(
                (m for rx in spec.items for m in rx.finditer(text, a, b)),
                key=lambda m: (m.start(), -m.end()),
            )
            taken_until = -1
            for item in items:
                if item.start() < taken_until:
                    continue  # two item phrasings read the same words
                taken_until = item.end()
                for emit in spec.emits:
                    hit = read_figure(emit, item, sentence, layout, rules, outer=match)
                    if hit:
                        hits.append(hit)
        if rule.once and hits:
            break
    return hits


def _paren_open(text: str, pos: int) -> int:
    """Where the parenthesis holding `pos` opens, or -1 outside parentheses."""
    open_at = text.rfind("(", 0, pos)
    return open_at if open_at > text.rfind(")", 0, pos) else -1


@dataclass
class _PeriodIndex:
    """Period phrases by sentence, and the framing one in force before each sentence."""

    in_sentence: dict[int, list[PeriodMention]]
    frame_before: list[PeriodMention | None]  # per sentence: the last carrying one before it


def _period_index(layout: Document, mentions: list[PeriodMention], per_paragraph: bool) -> _PeriodIndex:
    in_sentence: dict[int, list[PeriodMention]] = {}
    for mention in mentions:
        in_sentence.setdefault(mention.sentence, []).append(mention)
    frame_before: list[PeriodMention | None] = []
    frame: PeriodMention | None = None
    for number, sentence in enumerate(layout.sentences):
        if per_paragraph and number and layout.sentences[number - 1].paragraph != sentence.paragraph:
            frame = None
        frame_before.append(frame)
        carrying = [m for m in in_sentence.get(number, []) if m.carries]
        if carrying:
            frame = carrying[-1]
    return _PeriodIndex(in_sentence, frame_before)


def _period_of(hit: Hit, layout: Document, periods: _PeriodIndex) -> str | None:
    """The period a figure is stated for: a period phrase right after it ("vi tri 63 cua
    nam 2020"), else the nearest one before it in its sentence (an aside in parentheses
    only inside them), else the nearest framing phrase of an earlier sentence (of the same
    paragraph in a formal report, where sections change the subject; anywhere before it in
    news, portal pages and statements, which keep one time frame)."""
    text = layout.sentences[hit.sentence].compact
    start, end = hit.at
    own_parens = _paren_open(text, start)
    best = periods.frame_before[hit.sentence]
    for mention in periods.in_sentence.get(hit.sentence, []):
        if 0 <= mention.start - end <= 5 and not re.search(r"[,;(]", text[end : mention.start]):
            return mention.label
        if mention.end <= start and (mention.carries or _paren_open(text, mention.start) == own_parens):
            best = mention
    return best.label if best else None


def with_context(
    hits: list[Hit], layout: Document, rules: RuleSet, mentions: list[PeriodMention],
    own_period: str | None, per_paragraph: bool,
) -> list[Figure]:
    """Add scope, level and period qualifiers that the surrounding text decides."""
    scope_spec = rules.context_qualifiers.get("scope", {})
    scope_values = {code: re.compile(rx) for code, rx in (scope_spec.get("values") or {}).items()}
    scope_metrics = re.compile(scope_spec.get("applies_to", ""))
    periods = _period_index(layout, mentions, per_paragraph)
    level_spec = rules.context_qualifiers.get("level", {})
    level_label = re.compile(level_spec["clause_label"]) if level_spec.get("clause_label") else None
    paragraph_scopes: dict[int, str | None] = {}

    def paragraph_scope(number: int) -> str | None:
        if number not in paragraph_scopes:
            a, b = layout.paragraphs[number]
            paragraph = " ".join(layout.match[a:b].split())
            paragraph_scopes[number] = next(
                (code for code, regex in scope_values.items() if regex.search(paragraph)),
                scope_spec.get("default"),
            )
        return paragraph_scopes[number]

    figures: list[Figure] = []
    for hit in hits:
        figure = hit.figure
        allowed = rules.catalog[figure.metric].qualifiers
        qualifiers = dict(figure.qualifiers)
        if "scope" in allowed and "scope" not in qualifiers and scope_metrics.search(figure.metric):
            scope = "vertical" if "sector" in qualifiers else paragraph_scope(hit.paragraph)
            if scope:
                qualifiers["scope"] = scope
        if level_label and "level" in allowed and "level" not in qualifiers:
            # "Cap huyen: tiep nhan 52.100 ho so; ..." labels the rest of the sentence.
            labels = list(level_label.finditer(hit.clause))
            label = labels[-1] if labels else None
            level = rules.lookup("level", label.group("label")) if label else None
            if level:
                qualifiers["level"] = level
        if "period" in allowed and "period" not in qualifiers and hit.sentence >= 0:
            period = _period_of(hit, layout, periods)
            if period and period != own_period:
                qualifiers["period"] = period
        figures.append(dataclasses.replace(figure, qualifiers=qualifiers))
    return figures


def figure_key(figure: Figure) -> tuple:
    return (
        figure.metric,
        tuple(sorted(figure.qualifiers.items())),
        figure.value,
        figure.denominator,
    )


def find_rule_hits(layout: Document, rules: RuleSet) -> list[Hit]:
    """The sentence rules' figures, each with its sentence."""
    hits: list[Hit] = []
    fired: set[str] = set()
    for position, sentence in enumerate(layout.sentences):
        previous = ""
        if position and layout.sentences[position - 1].paragraph == sentence.paragraph:
            previous = layout.sentences[position - 1].compact
        for rule in rules.rules:
            if rule.once and rule.id in fired:
                continue
            found = apply_rule(rule, sentence, previous, layout, rules)
            if found:
                fired.add(rule.id)
                for hit in found:
                    hit.sentence = position
                hits.extend(found)
    return hits


def find_family_hits(
    layout: Document, rules: RuleSet, families: Families, rule_hits: list[Hit],
    table_rows: list[tuple[int, int]], document: dict,
) -> list[Hit]:
    """The numbers neither the rules nor a table read, read by phrasing family."""
    hits: list[Hit] = []
    index_before: str | None = None
    by_sentence: dict[int, list[Hit]] = {}
    for hit in rule_hits:
        by_sentence.setdefault(hit.sentence, []).append(hit)
    row_starts = [a for a, _ in table_rows]
    # A special campaign ("trong 22 ngay ...") frames the rest of its paragraph.
    campaign_from: dict[int, int] = {}
    if families.exclude_sentences:
        for position, sentence in enumerate(layout.sentences):
            if families.exclude_sentences.search(sentence.compact):
                campaign_from.setdefault(sentence.paragraph, position)
    for position, sentence in enumerate(layout.sentences):
        if position >= campaign_from.get(sentence.paragraph, len(layout.sentences)):
            continue
        own = by_sentence.get(position, [])
        first = max(bisect.bisect_right(row_starts, sentence.start) - 1, 0)
        in_tables = [
            (bisect.bisect_left(sentence.index, a), bisect.bisect_left(sentence.index, b))
            for a, b in table_rows[first : bisect.bisect_left(row_starts, sentence.end)]
            if a < sentence.end and sentence.start < b
        ]
        ctx = SentenceContext(
            text=sentence.compact,
            taken=[h.at for h in own] + in_tables,
            counts=[(h.at[1], h.figure.metric, dict(h.figure.qualifiers)) for h in own
                    if h.figure.unit == "count"],
            index_before=index_before,
            own_province=document["province"],
            subjects=subjects(sentence.compact, province_mentions(sentence.compact, rules), families),
            catalog=rules.catalog,
        )
        found, index_before = read_sentence(ctx, families)
        for item in found:
            start = sentence.index[item.start]
            end = sentence.index[max(item.end - 1, item.start)] + 1
            figure = as_figure(item, rules, layout.line_of(start), sentence.text)
            hits.append(Hit(figure, (start, end), sentence.paragraph, _words_before(sentence, item.start),
                             sentence=position, at=(item.start, item.end)))
    return hits


def on_due_date_beside_early(hits: list[Hit], families: Families) -> None:
    """In a sentence that gives early dossiers apart ("truoc han 150.000, dung han
    88.001"), a sentence rule's plain "dung han" count means on the due date (the families
    decide the same for their own figures)."""
    plain, on_due_date = families.on_due_date
    early = {h.sentence for h in hits if h.figure.metric == "dossiers_early"}
    for hit in hits:
        if hit.sentence in early and hit.figure.metric == "dossiers_on_time":
            words = re.sub(r"\s*(?:la|:)?\s*$", "", hit.clause[-60:])
            if plain.search(words) and not re.search(r"\bva d\w{1,2}ng han$|han va$", words):
                hit.figure = dataclasses.replace(hit.figure, metric=on_due_date)


def as_figure(item: FamilyFigure | TableFigure, rules: RuleSet, line: int, text: str) -> Figure:
    """A family's or a table's figure, with the catalog's unit and only its qualifiers."""
    metric = rules.catalog[item.metric]
    return Figure(
        metric=item.metric,
        value=item.value,
        unit=metric.unit,
        qualifiers={k: v for k, v in item.qualifiers.items() if k in metric.qualifiers},
        denominator=item.denominator,
        line=line,
        text=text,
        decimals=item.decimals,
    )


def find_table_hits(
    layout: Document, families: Families, rules: RuleSet
) -> tuple[list[Hit], list[tuple[int, int]]]:
    """Figures of statistics tables flattened to text, one line a row; and the spans
    (matching form) of the rows read, whose other numbers are no figures."""
    rows: list[tuple[str, list[int]]] = []  # collapsed line, and its matching-form positions
    for a, b in line_spans(layout.match):
        index = [pos for pos in range(a, b) if not layout.match[pos].isspace()
                 or (pos > a and not layout.match[pos - 1].isspace())]
        collapsed = "".join(" " if layout.match[pos].isspace() else layout.match[pos] for pos in index)
        rows.append((collapsed.rstrip(), index))
    found, table_rows = read_tables([row for row, _ in rows], families, rules.catalog)
    hits = []
    for item in found:
        index = rows[item.line][1]
        start, end = index[item.start], index[item.end - 1] + 1
        row_text = " ".join(layout.original_span(index[0], index[-1] + 1).split())
        hits.append(Hit(as_figure(item, rules, layout.line_of(start), row_text), (start, end), -1))
    return hits, [(rows[n][1][0], rows[n][1][-1] + 1) for n in table_rows]


def headline_lines(layout: Document, count: int) -> set[int]:
    """1-based numbers of the lines among the first `count` paragraphs that stand alone as
    titles: one line, no full stop."""
    found: set[int] = set()
    for a, b in layout.paragraphs[:count]:
        text = layout.match[a:b].strip()
        if "\n" not in text and len(text) < 200 and not re.search(r"[.!?](?:\s|$)", text):
            found.add(layout.line_of(a + len(layout.match[a:b]) - len(layout.match[a:b].lstrip())))
    return found
