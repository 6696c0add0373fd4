"""Every catalog metric has the labels people read: Vietnamese with diacritics, and English;
and every catalog phrase (`vi`, ASCII) its form with diacritics (`phrase`)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "ingest" / "reports" / "report_metrics.yml"
LABELS = ROOT / "ingest" / "reports" / "metric_labels.yml"
DEFINITIONS = ROOT / "ingest" / "metric_definitions.yml"

MAX_LENGTH = 70
# a name made of acronyms only ("PAR Index" excepted: it has lower case) needs no diacritics
ACRONYM_ONLY = re.compile(r"[A-Z0-9][A-Z0-9 ./()&-]*")
# Vietnamese words written without diacritics: a phrase made only of these, abbreviations,
# numbers and "..." reads the same with or without them.
PLAIN_WORDS = {"trong"}
WORD = re.compile(r"[A-Za-z]+")


def _load(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


CATALOG_METRICS: dict[str, dict] = _load(CATALOG)["metrics"]
CATALOG_CODES = list(CATALOG_METRICS)
PHRASED = [code for code, spec in CATALOG_METRICS.items() if spec.get("vi")]
LABEL_MAP: dict[str, dict[str, str]] = _load(LABELS)["labels"]
DEFINED = _load(DEFINITIONS)["metrics"]


def test_labels_cover_the_catalog_exactly() -> None:
    assert set(LABEL_MAP) - set(CATALOG_CODES) == set(), "codes not in report_metrics.yml"
    assert set(CATALOG_CODES) - set(LABEL_MAP) == set(), "catalog metrics without labels"


@pytest.mark.parametrize("code", CATALOG_CODES)
def test_label_shape(code: str) -> None:
    entry = LABEL_MAP.get(code)
    assert isinstance(entry, dict), code
    assert set(entry) == ({"vi", "en", "phrase"} if code in PHRASED else {"vi", "en"}), code
    for lang in ("vi", "en"):
        label = entry[lang]
        assert isinstance(label, str) and label.strip(), (code, lang)
        assert label == label.strip(), (code, lang)
        assert len(label) <= MAX_LENGTH, (code, lang, label)
        assert label[-1] not in ".,;:", (code, lang, label)
        assert unicodedata.normalize("NFC", label) == label, (code, lang, label)
    assert entry["en"].isascii(), (code, entry["en"])


@pytest.mark.parametrize("code", CATALOG_CODES)
def test_vietnamese_label_has_diacritics(code: str) -> None:
    vi = LABEL_MAP[code]["vi"]
    if ACRONYM_ONLY.fullmatch(vi):
        return
    assert any(ch.isalpha() and not ch.isascii() for ch in vi), (code, vi)


@pytest.mark.parametrize("code", [c for c in CATALOG_CODES if c in DEFINED])
def test_labels_agree_with_metric_definitions(code: str) -> None:
    definition = DEFINED[code]
    entry = LABEL_MAP[code]
    assert {"vi": entry["vi"], "en": entry["en"]} == {"vi": definition["vi"], "en": definition["en"]}, code


def fold(text: str) -> str:
    """Text without diacritics: NFD, combining marks dropped, đ/Đ -> d/D."""
    decomposed = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def needs_diacritics(ascii_text: str) -> bool:
    """Whether the text has a Vietnamese word that is written with diacritics: any word but
    an abbreviation (upper case, "PAR Index" aside) or one of PLAIN_WORDS."""
    return any(not word.isupper() and word not in PLAIN_WORDS and word != "Index"
               for word in WORD.findall(ascii_text))


@pytest.mark.parametrize("code", PHRASED)
def test_catalog_phrase_has_its_diacritics(code: str) -> None:
    ascii_text = CATALOG_METRICS[code]["vi"]
    phrase = LABEL_MAP[code].get("phrase")
    assert isinstance(phrase, str) and phrase.strip(), (code, "no phrase")
    assert unicodedata.normalize("NFC", phrase) == phrase, (code, phrase)
    assert fold(phrase) == ascii_text, (code, phrase, ascii_text)
    if needs_diacritics(ascii_text):
        assert phrase != ascii_text, (code, phrase)
        assert any(ch.isalpha() and not ch.isascii() for ch in phrase), (code, phrase)


def test_phrases_only_where_the_catalog_has_one() -> None:
    extra = sorted(code for code, entry in LABEL_MAP.items() if "phrase" in entry and code not in PHRASED)
    assert extra == [], "phrase for a metric without a catalog `vi` phrase"


def test_fold_and_the_diacritics_rule() -> None:
    assert fold("đã giải quyết và trả kết quả ... hồ sơ") == "da giai quyet va tra ket qua ... ho so"
    assert fold("HĐND tỉnh") == "HDND tinh"
    assert not needs_diacritics("trong ... CQHCNN")
    assert needs_diacritics("PAR Index ... dat ...%")
    assert needs_diacritics("xep thu .../63")


def test_labels_file_is_utf8_nfc() -> None:
    text = LABELS.read_text(encoding="utf-8")
    assert unicodedata.normalize("NFC", text) == text
