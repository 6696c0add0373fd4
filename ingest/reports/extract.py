"""Yearly CCHC report (text, PDF with a text layer, or an image through OCR) -> typed figures.

The work is split in three passes over the matching form of the text (see normalize.py):
layout (lines, footnotes, paragraphs, sentences, sections), rules (rules/*.yml, one regex
per phrasing, applied per sentence), and context (scope and period qualifiers that come
from the paragraph rather than the phrase). Every figure keeps its 1-based input line and
the original sentence it was read from.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import hashlib
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.reports.document import (
    canonical_province,
    dateline,
    landing_facts,
    province_from_text,
    province_mentions,
    split_source_line,
)
from ingest.reports.families import (
    Families,
    FamilyFigure,
    PeriodMention,
    SentenceContext,
    find_periods,
    load_families,
    read_sentence,
    subjects,
)
from ingest.reports.normalize import (
    NUMBER_RE,
    Normalized,
    normalize,
    parse_fraction,
    parse_number,
    printed_decimals,
    title_case,
)
from ingest.reports.rules import Emit, Rule, RuleSet, load_change_rules, load_rules
from ingest.reports.tables import TableFigure, read_tables

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text", ".md"}
PDF_SUFFIXES = {".pdf"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
# Units whose values are whole numbers in the catalog; percent stays a float.
_INTEGRAL_UNITS = {"count", "year", "rank", "vnd", "million_vnd"}
_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
_BOUNDARY = re.compile(r"[.!?]+(?=\s)|\n(?=[ \t]*[-+•]\s)")
_NON_SPACE = re.compile(r"\S")
_MENTION_RE = re.compile(rf"(?<![\w.,/])(?P<num>(?:{NUMBER_RE})(?:\s*/\s*(?:{NUMBER_RE}))?)(?![\w/]|[.,]\d)")


class ReportError(ValueError):
    """The input cannot be read as a CCHC report; the message names the file."""


@dataclass(frozen=True)
class Figure:
    metric: str
    value: float | str
    unit: str
    qualifiers: dict
    denominator: float | None
    line: int
    text: str
    # Decimal places as printed ("98,00%" -> 2, "51%" -> 0): the rounding a consistency
    # check must allow. Not part of the JSON-lines contract.
    decimals: int | None = None

    def to_json(self) -> dict:
        """The JSON-lines record: counts as int, percentages as float, text as is."""
        value: Any = self.value
        if isinstance(value, float) and self.unit in _INTEGRAL_UNITS and value.is_integer():
            value = int(value)
        denominator: Any = self.denominator
        if isinstance(denominator, float) and denominator.is_integer():
            denominator = int(denominator)
        return {
            "metric": self.metric,
            "value": value,
            "unit": self.unit,
            "qualifiers": dict(self.qualifiers),
            "denominator": denominator,
            "line": self.line,
            "text": self.text,
        }


@dataclass(frozen=True)
class Mention:
    value: float
    unit: str | None
    raw_text: str
    line: int
    sentence: str
    section: str | None
    metric: str | None


@dataclass(frozen=True)
class ReportExtraction:
    report_id: str
    source_file: str
    document: dict
    figures: list[Figure]
    mentions: list[Mention]
    changes: list[Change] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class Change:
    """A printed change of a figure against the previous year ("tang 958 ... gap hon 06 lan")."""

    metric: str
    qualifiers: dict
    value: float       # the figure this year
    delta: float       # signed: an increase is positive
    ratio: float | None  # "gap K lan"
    ratio_bound: str | None  # more | nearly | None (as printed)
    line: int
    text: str


# --------------------------------------------------------------------------- layout


@dataclass
class _Sentence:
    start: int  # span in the matching form
    end: int
    paragraph: int
    section: str | None
    compact: str = ""  # whitespace collapsed, for the rules
    index: list[int] = field(default_factory=list)  # compact position -> matching position
    text: str = ""  # original sentence, joined across line breaks


@dataclass
class _Layout:
    norm: Normalized
    match: str  # matching form with footnote/page-number lines blanked
    clean_original: str  # original with the same lines blanked
    line_starts: list[int]
    paragraphs: list[tuple[int, int]]
    sentences: list[_Sentence]
    legal_references: list[str]

    def line_of(self, match_pos: int) -> int:
        """1-based input line of a matching-form position."""
        original = self.norm.original_index(match_pos)
        return bisect.bisect_right(self.line_starts, original)

    def original_span(self, start: int, end: int) -> str:
        a = self.norm.original_index(start)
        b = self.norm.original_index(max(end - 1, start)) + 1
        return self.norm.original[a:b]


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in re.finditer("\n", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _upper_ratio(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(c.isupper() for c in letters) / len(letters) if letters else 0.0


def _legal_reference(match: re.Match[str], rules: RuleSet) -> str:
    kind = rules.lookup("legal_reference_kind", match.group("kind")) or match.group("kind")
    return f"{kind} so {match.group('number').upper()} ngay {match.group('date')}"


def _blank_noise(
    norm: Normalized, spans: list[tuple[int, int]], rules: RuleSet
) -> tuple[str, str, set[int], list[str]]:
    """Blank footnote and page-number lines (same length, so positions hold).

    Returns the matching form and the original with those lines blanked, the blanked
    line numbers (0-based) and the documents the footnotes cite.
    """
    noise: set[int] = set()
    legal: list[str] = []
    match_chars = list(norm.text)
    clean_chars = list(norm.original)
    for number, (a, b) in enumerate(spans):
        line = norm.text[a:b]
        if not line.strip() or not any(rx.search(line) for rx in rules.noise_lines):
            continue
        noise.add(number)
        legal.extend(_legal_reference(ref, rules) for ref in rules.legal_reference.finditer(line))
        match_chars[a:b] = " " * (b - a)
        oa, ob = norm.original_index(a), norm.original_index(max(b - 1, a)) + 1
        for pos in range(oa, min(ob, len(clean_chars))):
            if clean_chars[pos] != "\n":
                clean_chars[pos] = " "
    return "".join(match_chars), "".join(clean_chars), noise, list(dict.fromkeys(legal))


def _paragraphs(
    norm: Normalized, match: str, spans: list[tuple[int, int]], noise: set[int], rules: RuleSet
) -> tuple[list[tuple[int, int]], dict[int, tuple[str, str]]]:
    """Runs of content lines, and which of them open a section ("II.") or item ("3.").

    A gap that only holds footnotes or a page number does not end a paragraph whose
    text has not ended: that is a page break inside a sentence.
    """
    paragraphs: list[tuple[int, int]] = []
    headings: dict[int, tuple[str, str]] = {}
    current: list[int] | None = None
    gap_lines, gap_has_noise = 0, False
    for number, (a, b) in enumerate(spans):
        line = match[a:b]
        if number in noise or not line.strip():
            gap_lines += 1
            gap_has_noise = gap_has_noise or number in noise
            continue
        original_line = norm.original[norm.original_index(a) : norm.original_index(b - 1) + 1]
        is_section = bool(rules.section_heading.match(line)) and _upper_ratio(original_line) > 0.6
        sub = rules.subsection_heading.match(line)
        # "3. Cai cach TTHC ..." opens an item; "2020. Theo do" inside a sentence does not.
        after_number = original_line.strip()[len(sub.group("n")) + 1 :].strip() if sub else ""
        is_sub = bool(sub) and after_number[:1].isupper()
        starts_new = is_section or is_sub
        if current is not None and gap_lines:
            ended = match[current[0] : current[1]].rstrip().endswith((".", "!", "?", ":", ";"))
            if not gap_has_noise or ended:
                starts_new = True
        if current is not None and starts_new:
            paragraphs.append((current[0], current[1]))
            current = None
        if current is None:
            current = [a, b]
            if is_section:
                headings[len(paragraphs)] = ("section", "")
            elif sub and is_sub:
                headings[len(paragraphs)] = ("sub", sub.group("n"))
        else:
            current[1] = b
        gap_lines, gap_has_noise = 0, False
        if is_section:  # a heading line is a paragraph of its own
            paragraphs.append((current[0], current[1]))
            current = None
    if current is not None:
        paragraphs.append((current[0], current[1]))
    return paragraphs, headings


def _sentences(
    norm: Normalized,
    match: str,
    paragraphs: list[tuple[int, int]],
    headings: dict[int, tuple[str, str]],
) -> list[_Sentence]:
    """Split paragraphs at ". X" (X a capital in the original) and at "- " list items."""
    sentences: list[_Sentence] = []
    part, sub_number = 0, None
    for p_index, (a, b) in enumerate(paragraphs):
        kind, label = headings.get(p_index, ("", ""))
        if kind == "section":
            part, sub_number = part + 1, None
        elif kind == "sub":
            sub_number = label
        roman = _ROMAN[part - 1] if 0 < part <= len(_ROMAN) else (str(part) if part else None)
        section = f"{roman}.{sub_number}" if roman and sub_number else roman or sub_number
        start = a
        for boundary in _BOUNDARY.finditer(match, a, b):
            end = boundary.end()
            nxt = _NON_SPACE.search(match, end, b)
            if nxt is None:
                continue
            if re.fullmatch(r"\s*[0-9ivxl|t]{1,4}\s*\.+", match[start:end]):
                continue  # "1." or "II." opening an item is not a sentence
            capital = norm.original[norm.original_index(nxt.start())].isupper()
            if boundary.group().startswith("\n") or capital:
                sentences.append(_Sentence(start, end, p_index, section))
                start = nxt.start()
        sentences.append(_Sentence(start, b, p_index, section))
    return [s for s in sentences if match[s.start : s.end].strip()]


def _compact(sentence: _Sentence, match: str, norm: Normalized, clean_original: str) -> None:
    """Fill the sentence's whitespace-collapsed matching text and its original text."""
    compact: list[str] = []
    index: list[int] = []
    previous_space = True
    for pos in range(sentence.start, sentence.end):
        char = match[pos]
        if char.isspace():
            if previous_space:
                continue
            char, previous_space = " ", True
        else:
            previous_space = False
        compact.append(char)
        index.append(pos)
    while compact and compact[-1] == " ":
        compact.pop()
        index.pop()
    sentence.compact, sentence.index = "".join(compact), index
    oa = norm.original_index(sentence.start)
    ob = norm.original_index(max(sentence.end - 1, sentence.start)) + 1
    sentence.text = " ".join(clean_original[oa:ob].split())


def _layout(original: str, rules: RuleSet) -> _Layout:
    """Normalise, drop page-break noise, and cut the text into paragraphs and sentences."""
    norm = normalize(original)
    spans = _line_spans(norm.text)
    match, clean_original, noise, legal = _blank_noise(norm, spans, rules)
    paragraphs, headings = _paragraphs(norm, match, spans, noise, rules)
    sentences = _sentences(norm, match, paragraphs, headings)
    for sentence in sentences:
        _compact(sentence, match, norm, clean_original)
    return _Layout(
        norm=norm,
        match=match,
        clean_original=clean_original,
        line_starts=[0] + [m.end() for m in re.finditer("\n", original)],
        paragraphs=paragraphs,
        sentences=sentences,
        legal_references=legal,
    )


# --------------------------------------------------------------------------- rules


@dataclass
class _Hit:
    figure: Figure
    span: tuple[int, int]  # value span in the matching form
    paragraph: int
    clause: str = ""  # the sentence's last words before the value (matching form, compact)
    sentence: int = -1  # index of the sentence, and the value's span in its compact text
    at: tuple[int, int] = (0, 0)


def _unit_name(text: str, rules: RuleSet) -> str:
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
                value: Any = _unit_name(captured, rules)
            else:
                value = rules.lookup(vocab_name or name, captured)
                if value is None:
                    log.debug("no %s for %r", vocab_name or name, captured)
                    return None
        else:
            value = spec
        result[name] = int(value) if name == "service_level" else value
    return result


def _figure(
    emit: Emit,
    match: re.Match[str],
    sentence: _Sentence,
    layout: _Layout,
    rules: RuleSet,
    outer: re.Match[str] | None = None,
) -> _Hit | None:
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
    return _Hit(figure, (start, end), sentence.paragraph, _words_before(sentence, span[0]), at=span)


def _words_before(sentence: _Sentence, pos: int) -> str:
    """What a clause label ("cap huyen: ...") needs: the last words before a value, bounded
    so that a sentence of thousands of figures stays linear."""
    return sentence.compact[max(0, pos - 400) : pos]


def _apply_rule(
    rule: Rule, sentence: _Sentence, previous: str, layout: _Layout, rules: RuleSet
) -> list[_Hit]:
    text = sentence.compact
    if rule.exclude and rule.exclude.search(text):
        return []
    if rule.context and not rule.context.search(previous + " " + text):
        return []
    hits: list[_Hit] = []
    for match in rule.pattern.finditer(text):
        for emit in rule.emits:
            hit = _figure(emit, match, sentence, layout, rules)
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
                    hit = _figure(emit, item, sentence, layout, rules, outer=match)
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


def _period_index(layout: _Layout, mentions: list[PeriodMention], per_paragraph: bool) -> _PeriodIndex:
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


def _period_of(hit: _Hit, layout: _Layout, periods: _PeriodIndex) -> str | None:
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


def _with_context(
    hits: list[_Hit], layout: _Layout, rules: RuleSet, mentions: list[PeriodMention],
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


def _figure_key(figure: Figure) -> tuple:
    return (
        figure.metric,
        tuple(sorted(figure.qualifiers.items())),
        figure.value,
        figure.denominator,
    )


# --------------------------------------------------------------------------- mentions


def _mentions(layout: _Layout, hits: list[_Hit]) -> list[Mention]:
    """Every number in the running text, with the catalog metric that used it, if any."""
    used: list[tuple[int, int, str]] = sorted((h.span[0], h.span[1], h.figure.metric) for h in hits)
    used_starts = [a for a, _, _ in used]
    starts = [s.start for s in layout.sentences]
    mentions: list[Mention] = []
    text = layout.match
    for match in _MENTION_RE.finditer(text):
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


# --------------------------------------------------------------------------- reading


def _read_text_file(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise ReportError(f"{path}: the file is empty")
    if b"\x00" in data[:8192]:
        raise ReportError(f"{path}: binary content, not report text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1258", errors="replace")
    controls = sum(1 for c in text[:20000] if ord(c) < 32 and c not in "\t\n\r\f")
    if controls > 0.01 * min(len(text), 20000) or text.count("\ufffd") > 0.05 * len(text):
        raise ReportError(f"{path}: binary content, not report text")
    return text


OCR_PACKAGES = "`tesseract-ocr tesseract-ocr-vie` (apt-get install tesseract-ocr tesseract-ocr-vie, " \
    "or `make system-packages`)"
# 300 dpi is what Tesseract is trained for; lower resolutions lose the diacritics.
OCR_DPI = 300


# Tesseract's OpenMP threads cost more than they gain (they spin while waiting, and fight
# each other when pages run in parallel): one thread per tesseract process, and one
# process per core for the pages of a scanned PDF (bench/bench_ocr.py).
OCR_THREAD_LIMIT = "1"


def _ocr_env(omp_thread_limit: str | None = OCR_THREAD_LIMIT) -> dict[str, str]:
    """The environment tesseract runs in: OMP_THREAD_LIMIT=1 (None: the caller's as is)."""
    env = dict(os.environ)
    if omp_thread_limit is not None:
        env["OMP_THREAD_LIMIT"] = omp_thread_limit
    return env


def _tesseract(image: bytes | Path, source: Path, env: dict[str, str] | None = None) -> str:
    """OCR one image (a file, or image bytes on stdin) with the Vietnamese model."""
    if not shutil.which("tesseract"):
        raise ReportError(f"{source}: scanned input needs OCR: install {OCR_PACKAGES}")
    target = str(image) if isinstance(image, Path) else "stdin"
    result = subprocess.run(
        ["tesseract", target, "stdout", "-l", "vie"],
        input=None if isinstance(image, Path) else image,
        capture_output=True,
        check=False,
        env=_ocr_env() if env is None else env,
    )
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        if "vie" in stderr and ("traineddata" in stderr or "language" in stderr.lower()):
            raise ReportError(f"{source}: Tesseract has no Vietnamese model: install {OCR_PACKAGES}")
        raise ReportError(f"{source}: tesseract failed: {stderr.strip()[:300]}")
    return result.stdout.decode("utf-8", "replace")


def _render_page(document: Any, index: int) -> bytes:
    """Page `index` of a pypdfium2 document as a grayscale PNG at OCR_DPI (Tesseract reads
    gray anyway: a third of the bytes to encode and decode, the same text)."""
    import io

    page = document[index]
    try:
        buffer = io.BytesIO()
        page.render(scale=OCR_DPI / 72, grayscale=True).to_pil().save(buffer, format="PNG")
    finally:
        page.close()
    return buffer.getvalue()


def join_pages(pages: list[str]) -> str:
    """OCR'd pages as one text. A page that ends mid-sentence continues on the next page
    (one line break); one that ends a sentence ends its paragraph (a blank line)."""
    text = ""
    for page in pages:
        page = page.strip("\n")
        if text:
            text += "\n\n" if re.search(r"[.!?:;]\s*$", text) else "\n"
        text += page
    return text + "\n"


def _ocr_pdf(path: Path, workers: int | None = None, env: dict[str, str] | None = None) -> str:
    """Rasterise each page of a scanned PDF (pypdfium2, shipped with pdfplumber) and OCR the
    pages in parallel: `workers` tesseract processes (default one per core), text in page order.
    """
    from concurrent.futures import Future, ThreadPoolExecutor

    import pypdfium2

    if not shutil.which("tesseract"):
        raise ReportError(f"{path}: the PDF has no text layer; OCR of scanned PDFs needs {OCR_PACKAGES}")
    env = _ocr_env() if env is None else env
    document = pypdfium2.PdfDocument(path)
    try:
        count = len(document)
        workers = max(1, min(count, workers or os.cpu_count() or 1))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr")
        try:
            pages: list[Future[str]] = []
            for index in range(count):
                if index >= 2 * workers:  # at most two rendered pages per worker in memory
                    pages[index - 2 * workers].result()
                # pdfium is not thread-safe: pages are rendered here, one at a time, while
                # the workers OCR the pages rendered before.
                pages.append(pool.submit(_tesseract, _render_page(document, index), path, env))
            return join_pages([page.result() for page in pages])
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # an error stops the pages not started
    finally:
        document.close()


def _read_pdf(path: Path) -> str:
    """The PDF's text layer (pdfplumber); pages without one go through OCR."""
    import pdfplumber

    try:
        with pdfplumber.open(path) as pdf:
            pages = [page.extract_text() or "" for page in pdf.pages]
    except Exception as exc:  # a broken PDF is a bad input, not a crash
        raise ReportError(f"{path}: cannot read the PDF: {exc}") from exc
    text = "\n".join(pages)
    if not text.strip():
        return _ocr_pdf(path)
    return text


def read_report_text(path: Path) -> str:
    """The text of a report file, whatever its type; ReportError when unreadable."""
    path = Path(path)
    if not path.is_file():
        raise ReportError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return _read_text_file(path)
    if path.stat().st_size == 0:
        raise ReportError(f"{path}: the file is empty")
    if suffix in PDF_SUFFIXES:
        return _read_pdf(path)
    if suffix in IMAGE_SUFFIXES:
        return _tesseract(path, path)
    raise ReportError(
        f"{path}: unsupported report type {suffix or '(none)'}; expected .txt, .pdf, .png, .jpg or .tif"
    )


# --------------------------------------------------------------------------- entry points


def _parse_dmy(raw: str) -> dt.date | None:
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
    layout = _layout(text, rules)
    if not rules.report_markers.search(" ".join(layout.match.split())):
        raise ReportError(
            f"{source_file}: not a CCHC report (no mention of cai cach hanh chinh, "
            "thu tuc hanh chinh or ho so)"
        )

    hits = _rule_hits(layout, rules)
    by_metric = {h.figure.metric: h.figure for h in hits}
    document = _document(layout, rules, by_metric, source_file, source_address)
    mentions = find_periods([s.compact for s in layout.sentences], families, document["dateline"])
    if document["report_year"] is None and mentions:
        # A text that is not a formal report is about the year of its first period
        # phrase ("Nam 2021, chi so ...", "Trong thang 10-2020, ...").
        document["report_year"], document["year_source"] = mentions[0].year, "text"
    _settle_facts(document, rules, landing_path, province, year)
    table_hits, table_rows = _table_hits(layout, families, rules)
    if table_hits:
        document["kind"] = "statistics"
    hits += _family_hits(layout, rules, families, hits, table_rows, document) + table_hits
    _on_due_date_beside_early(hits, families)

    own_period = str(document["report_year"]) if document["report_year"] else None
    contextual = _with_context(hits, layout, rules, mentions, own_period,
                               per_paragraph=document["kind"] == "report")
    figures: list[Figure] = []
    kept_hits: list[_Hit] = []
    seen: set[tuple] = set()
    headline = _headline_lines(layout, families.headline_lines)
    later = {f.metric for f in contextual if f.line not in headline}
    for hit, figure in zip(hits, contextual, strict=True):
        key = _figure_key(figure)
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
        mentions=_mentions(layout, hits),
        changes=_changes(layout, list(zip(kept_hits, figures, strict=True)), rules_dir),
    )


def _rule_hits(layout: _Layout, rules: RuleSet) -> list[_Hit]:
    """The sentence rules' figures, each with its sentence."""
    hits: list[_Hit] = []
    fired: set[str] = set()
    for position, sentence in enumerate(layout.sentences):
        previous = ""
        if position and layout.sentences[position - 1].paragraph == sentence.paragraph:
            previous = layout.sentences[position - 1].compact
        for rule in rules.rules:
            if rule.once and rule.id in fired:
                continue
            found = _apply_rule(rule, sentence, previous, layout, rules)
            if found:
                fired.add(rule.id)
                for hit in found:
                    hit.sentence = position
                hits.extend(found)
    return hits


def _family_hits(
    layout: _Layout, rules: RuleSet, families: Families, rule_hits: list[_Hit],
    table_rows: list[tuple[int, int]], document: dict,
) -> list[_Hit]:
    """The numbers neither the rules nor a table read, read by phrasing family."""
    hits: list[_Hit] = []
    index_before: str | None = None
    by_sentence: dict[int, list[_Hit]] = {}
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
            figure = _as_figure(item, rules, layout.line_of(start), sentence.text)
            hits.append(_Hit(figure, (start, end), sentence.paragraph, _words_before(sentence, item.start),
                             sentence=position, at=(item.start, item.end)))
    return hits


def _on_due_date_beside_early(hits: list[_Hit], families: Families) -> None:
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


def _as_figure(item: FamilyFigure | TableFigure, rules: RuleSet, line: int, text: str) -> Figure:
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


def _table_hits(
    layout: _Layout, families: Families, rules: RuleSet
) -> tuple[list[_Hit], list[tuple[int, int]]]:
    """Figures of statistics tables flattened to text, one line a row; and the spans
    (matching form) of the rows read, whose other numbers are no figures."""
    rows: list[tuple[str, list[int]]] = []  # collapsed line, and its matching-form positions
    for a, b in _line_spans(layout.match):
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
        hits.append(_Hit(_as_figure(item, rules, layout.line_of(start), row_text), (start, end), -1))
    return hits, [(rows[n][1][0], rows[n][1][-1] + 1) for n in table_rows]


def _headline_lines(layout: _Layout, count: int) -> set[int]:
    """1-based numbers of the lines among the first `count` paragraphs that stand alone as
    titles: one line, no full stop."""
    found: set[int] = set()
    for a, b in layout.paragraphs[:count]:
        text = layout.match[a:b].strip()
        if "\n" not in text and len(text) < 200 and not re.search(r"[.!?](?:\s|$)", text):
            found.add(layout.line_of(a + len(layout.match[a:b]) - len(layout.match[a:b].lstrip())))
    return found


def _changes(layout: _Layout, hits: list[tuple[_Hit, Figure]], rules_dir: Path | None) -> list[Change]:
    """Attach each change statement to the nearest unqualified count figure before it."""
    change_rules = load_change_rules(rules_dir) if rules_dir else load_change_rules()
    counts = sorted(
        ((hit.span[1], figure) for hit, figure in hits
         if figure.unit == "count" and not figure.qualifiers and not isinstance(figure.value, str)),
        key=lambda pair: pair[0],
    )
    changes: list[Change] = []
    taken: set[int] = set()
    for pattern in change_rules.patterns:
        for match in pattern.finditer(layout.match):
            if match.start() in taken:
                continue
            before = [(end, figure) for end, figure in counts if end <= match.start()]
            if not before:
                continue
            end, figure = before[-1]
            if re.search(r";|\.(?!\d)", layout.match[end:match.start()]):
                continue  # the nearest figure is in another clause
            taken.add(match.start())
            delta = parse_number(match.group("delta"))
            groups = match.groupdict()
            changes.append(Change(
                metric=figure.metric,
                qualifiers=dict(figure.qualifiers),
                value=float(figure.value),
                delta=-delta if match.group("direction").startswith("g") else delta,
                ratio=parse_number(groups["ratio"]) if groups.get("ratio") else None,
                ratio_bound=change_rules.bounds.get(groups.get("bound") or ""),
                line=layout.line_of(match.start()),
                text=figure.text,
            ))
    return sorted(changes, key=lambda change: change.line)


def _document(
    layout: _Layout, rules: RuleSet, by_metric: dict[str, Figure], source_file: str,
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
            period_start, period_end = _parse_dmy(found.group("start")), _parse_dmy(found.group("end"))
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
