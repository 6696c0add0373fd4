"""Text encodings of agency exports: UTF-8, Windows-1258 and the legacy font encodings.

TCVN3 (ABC, ".VnTime" fonts; TCVN 5712:1993) and VNI-Windows are kept as byte tables in
legacy_encodings.csv (data, not code). TCVN3 is one byte per letter; VNI writes a base
letter followed by a byte for its diacritics, which the table maps to combining marks so
NFC composes them. Bytes a table does not list read as Windows-1252 (latin-1 where 1252
has a hole), which is what the fonts draw for them.

Detection does not trust "decodes without error" (Windows-1258 and the font encodings
decode almost any bytes): each candidate decoding is scored by how many words come out as
valid Vietnamese syllables against how many come out as garbage, and the best one wins.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from functools import cache
from pathlib import Path

TABLES_FILE = Path(__file__).with_name("legacy_encodings.csv")
LEGACY = ("tcvn3", "vni")
SAMPLE_BYTES = 1 << 20  # bytes scored when the file is not UTF-8
CHUNK = 1 << 20

TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_WORD = re.compile(r"[^\W\d_]+")
_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x)?"
_NUCLEI = (
    "a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi oo ua uâ uê "
    "ui uô uơ uy ưa ưi ưu ươ yê iêu oai oay oao oeo uây uôi uya uyê uyu ươi ươu yêu"
).split()
_NUCLEUS = "(?:" + "|".join(sorted(_NUCLEI, key=len, reverse=True)) + ")"
_SYLLABLE = re.compile(f"^{_ONSET}{_NUCLEUS}(?:ch|ng|nh|c|m|n|p|t)?$")
# Non-ASCII characters that are not letters yet legitimately appear in exports.
_HARMLESS = set("\u00a0–—‘’“”…°•·×№")


class EncodingError(ValueError):
    """No candidate encoding turns the bytes into Vietnamese text."""


@cache
def _tables() -> dict[str, dict[int, str]]:
    tables: dict[str, dict[int, str]] = {name: {} for name in LEGACY}
    with open(TABLES_FILE, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = "".join(chr(int(cp, 16)) for cp in row["codepoints"].split())
            tables[row["encoding"]][int(row["byte"], 16)] = text
    return tables


@cache
def decoding_map(encoding: str) -> dict[int, str]:
    """Byte -> text for every byte value (the table over a Windows-1252 base)."""
    table = _tables()[encoding]
    base = {}
    for byte in range(256):
        try:
            base[byte] = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            base[byte] = chr(byte)
    return {**base, **table}


@cache
def encoding_map(encoding: str) -> dict[str, bytes]:
    """NFC letter -> bytes, for every letter the encoding can write (tests, round trips)."""
    table = _tables()[encoding]
    out: dict[str, bytes] = {}
    if encoding == "tcvn3":
        for byte, text in table.items():
            out[unicodedata.normalize("NFC", text)] = bytes([byte])
        return out
    # VNI: a base letter (ASCII or one of the standalone letters) + one diacritic byte.
    marks = [(text, byte) for byte, text in sorted(table.items())
             if unicodedata.combining(text[0])]
    letters = {text: byte for byte, text in table.items() if not unicodedata.combining(text[0])}
    for text, byte in letters.items():
        out[text] = bytes([byte])
    bases = [*"aeiouyAEIOUY", "ơ", "ư", "Ơ", "Ư"]
    for base in bases:
        base_bytes = bytes([letters[base]]) if base in letters else base.encode("ascii")
        for mark, byte in marks:
            # lower-case mark bytes for lower-case bases, upper-case ones for upper-case
            if (byte >= 0xE0) != base.islower():
                continue
            letter = unicodedata.normalize("NFC", base + mark)
            if len(letter) == 1:
                out.setdefault(letter, base_bytes + bytes([byte]))
    return out


def encode(text: str, encoding: str) -> bytes:
    """Write NFC text in a legacy encoding (ASCII passes through); for tests and fixtures."""
    mapping = encoding_map(encoding)
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        if ord(ch) < 128:
            out += ch.encode("ascii")
        elif ch in mapping:
            out += mapping[ch]
        else:
            out += ch.encode("cp1252")
    return bytes(out)


def decode(data: bytes, encoding: str) -> str:
    """Bytes -> NFC text, for 'utf-8', 'utf-8-sig', 'cp1258', 'tcvn3' or 'vni'."""
    if encoding in LEGACY:
        text = codecs.charmap_decode(data, "strict", decoding_map(encoding))[0]
    else:
        text = data.decode(encoding)
    return unicodedata.normalize("NFC", text)


def _strip_tone(word: str) -> tuple[str, int]:
    decomposed = unicodedata.normalize("NFD", word)
    tones = sum(ch in TONES for ch in decomposed)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in TONES)), tones


def is_vietnamese_syllable(word: str) -> bool:
    """A word spelled as one Vietnamese syllable (at most one tone mark)."""
    bare, tones = _strip_tone(unicodedata.normalize("NFC", word).lower())
    return tones <= 1 and bool(_SYLLABLE.match(bare))


def vietnamese_score(text: str) -> tuple[int, int]:
    """(valid, invalid): words with diacritics that are / are not Vietnamese syllables;
    stray non-ASCII symbols (what a wrong decoding leaves between letters) count as invalid."""
    valid = invalid = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        if is_vietnamese_syllable(word):
            valid += len(word) > 1  # a lone letter is weak evidence
        else:
            invalid += 1
    # What is left between words: stray symbols and unattached combining marks.
    for ch in _WORD.sub("", text):
        if not ch.isascii() and ch not in _HARMLESS:
            invalid += 1
    return valid, invalid


def guess_encoding(sample: bytes) -> str | None:
    """Best of cp1258 / tcvn3 / vni for bytes that are not UTF-8; None when none fits."""
    best: tuple[int, str] | None = None
    for encoding in ("cp1258", "tcvn3", "vni"):  # order breaks ties
        try:
            text = decode(sample, encoding)
        except UnicodeDecodeError:
            continue
        valid, invalid = vietnamese_score(text)
        if valid == 0 and invalid == 0:
            # No Vietnamese letters in the sample at all: Windows-1258 if it decodes.
            score = 0
        else:
            score = valid - 2 * invalid
            if score <= 0:
                continue
        if best is None or score > best[0]:
            best = (score, encoding)
    return best[1] if best else None


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        try:
            for block in iter(lambda: handle.read(CHUNK), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _head_is_utf8(head: bytes) -> bool:
    """The sample decodes as UTF-8 (a character cut at its end is allowed)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        return False
    return True


def detect_file_encoding(path: Path, whole_file: bool = True) -> str:
    """'utf-8-sig', 'utf-8', 'cp1258', 'tcvn3' or 'vni'; EncodingError when none fits.

    whole_file=False trusts the first SAMPLE_BYTES for UTF-8: for a reader that checks
    the rest itself (DuckDB's CSV reader rejects invalid UTF-8) and asks again with
    whole_file=True when it does."""
    with open(path, "rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if _is_utf8(path) if whole_file else _head_is_utf8(head):
        return "utf-8"
    # Score only the lines with non-ASCII bytes: ASCII lines say nothing.
    lines = [line for line in head.splitlines() if not line.isascii()]
    encoding = guess_encoding(b"\n".join(lines))
    if encoding is None:
        raise EncodingError("unknown text encoding (not UTF-8, Windows-1258, TCVN3 or VNI)")
    return encoding


def transcode(path: Path, target: Path, encoding: str) -> None:
    """Rewrite the file as UTF-8 in chunks (the legacy tables are byte-wise, so chunk
    boundaries cannot split a character; NFC is applied later, in SQL)."""
    with open(path, "rb") as src, open(target, "w", encoding="utf-8", newline="") as dst:
        if encoding in LEGACY:
            mapping = decoding_map(encoding)
            for block in iter(lambda: src.read(CHUNK), b""):
                dst.write(codecs.charmap_decode(block, "strict", mapping)[0])
        else:
            decoder = codecs.getincrementaldecoder(encoding)()
            for block in iter(lambda: src.read(CHUNK), b""):
                dst.write(decoder.decode(block))
            dst.write(decoder.decode(b"", final=True))


def repair_legacy_text(values: list[str]) -> str | None:
    """For workbooks: text typed in a legacy font is stored as Windows-1252 characters ("B¸o
    c¸o"). Returns 'tcvn3' or 'vni' when re-reading the cells' bytes that way scores better
    than the text as stored; None otherwise."""
    sample = "\n".join(v for v in values if v and not v.isascii())
    if not sample:
        return None
    raw = _font_bytes(sample)
    if raw is None:
        return None  # real Unicode Vietnamese (not representable in 1252)
    as_is = vietnamese_score(unicodedata.normalize("NFC", sample))
    best, best_score = None, as_is[0] - 2 * as_is[1]
    for encoding in LEGACY:
        valid, invalid = vietnamese_score(decode(raw, encoding))
        if valid - 2 * invalid > max(best_score, 0):
            best, best_score = encoding, valid - 2 * invalid
    return best


def _font_bytes(text: str) -> bytes | None:
    """The bytes a legacy font drew as these Windows-1252 glyphs; None if not such text."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1252")
        except UnicodeEncodeError:
            if ord(ch) > 0xFF:
                return None
            out.append(ord(ch))  # the five holes of Windows-1252
    return bytes(out)


def fix_cell(value: str, encoding: str) -> str:
    """One workbook cell written in a legacy font -> NFC Unicode."""
    raw = _font_bytes(value)
    return value if raw is None else decode(raw, encoding)
