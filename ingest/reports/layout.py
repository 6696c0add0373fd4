"""The layout of a report text: lines, footnotes and page numbers blanked, paragraphs,
sentences and sections, over the matching form (normalize.py) with a map back to the
original. `read_layout` turns a text into a Document, which the passes read."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ingest.reports.normalize import Normalized, normalize
from ingest.reports.rules import RuleSet

_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
_BOUNDARY = re.compile(r"[.!?]+(?=\s)|\n(?=[ \t]*[-+•]\s)")
_NON_SPACE = re.compile(r"\S")


@dataclass
class Sentence:
    start: int  # span in the matching form
    end: int
    paragraph: int
    section: str | None
    compact: str = ""  # whitespace collapsed, for the rules
    index: list[int] = field(default_factory=list)  # compact position -> matching position
    text: str = ""  # original sentence, joined across line breaks


@dataclass
class Document:
    """A report text laid out: its matching form, the lines blanked as noise, paragraphs,
    sentences and sections, with the map back to the original text."""

    norm: Normalized
    match: str  # matching form with footnote/page-number lines blanked
    clean_original: str  # original with the same lines blanked
    line_starts: list[int]
    paragraphs: list[tuple[int, int]]
    sentences: list[Sentence]
    legal_references: list[str]

    def line_of(self, match_pos: int) -> int:
        """1-based input line of a matching-form position."""
        original = self.norm.original_index(match_pos)
        return bisect.bisect_right(self.line_starts, original)

    def original_span(self, start: int, end: int) -> str:
        a = self.norm.original_index(start)
        b = self.norm.original_index(max(end - 1, start)) + 1
        return self.norm.original[a:b]


def line_spans(text: str) -> list[tuple[int, int]]:
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
) -> list[Sentence]:
    """Split paragraphs at ". X" (X a capital in the original) and at "- " list items."""
    sentences: list[Sentence] = []
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
                sentences.append(Sentence(start, end, p_index, section))
                start = nxt.start()
        sentences.append(Sentence(start, b, p_index, section))
    return [s for s in sentences if match[s.start : s.end].strip()]


def _compact(sentence: Sentence, match: str, norm: Normalized, clean_original: str) -> None:
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


def read_layout(original: str, rules: RuleSet) -> Document:
    """Normalise, drop page-break noise, and cut the text into paragraphs and sentences."""
    norm = normalize(original)
    spans = line_spans(norm.text)
    match, clean_original, noise, legal = _blank_noise(norm, spans, rules)
    paragraphs, headings = _paragraphs(norm, match, spans, noise, rules)
    sentences = _sentences(norm, match, paragraphs, headings)
    for sentence in sentences:
        _compact(sentence, match, norm, clean_original)
    return Document(
        norm=norm,
        match=match,
        clean_original=clean_original,
        line_starts=[0] + [m.end() for m in re.finditer("\n", original)],
        paragraphs=paragraphs,
        sentences=sentences,
        legal_references=legal,
    )
