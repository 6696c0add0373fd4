"""Every catalog metric has the labels people read: Vietnamese with diacritics, and English."""

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


def _load(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


CATALOG_CODES = list(_load(CATALOG)["metrics"])
LABEL_MAP: dict[str, dict[str, str]] = _load(LABELS)["labels"]
DEFINED = _load(DEFINITIONS)["metrics"]


def test_labels_cover_the_catalog_exactly() -> None:
    assert set(LABEL_MAP) - set(CATALOG_CODES) == set(), "codes not in report_metrics.yml"
    assert set(CATALOG_CODES) - set(LABEL_MAP) == set(), "catalog metrics without labels"


@pytest.mark.parametrize("code", CATALOG_CODES)
def test_label_shape(code: str) -> None:
    entry = LABEL_MAP.get(code)
    assert isinstance(entry, dict), code
    assert set(entry) == {"vi", "en"}, code
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
    assert LABEL_MAP[code] == {"vi": definition["vi"], "en": definition["en"]}, code


def test_labels_file_is_utf8_nfc() -> None:
    text = LABELS.read_text(encoding="utf-8")
    assert unicodedata.normalize("NFC", text) == text
