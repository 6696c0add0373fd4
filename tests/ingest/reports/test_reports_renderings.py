"""The sample report's catalogued figures survive each rendering of the report.

Acceptance: >= 98% of the hand-read figures (EXPECTED of test_reports_sample) are found
on the OCR'd text as it is, on its NFC and NFD forms, and on a scanned PDF of the whole
report: the text drawn on A4 page images at 300 dpi (DejaVu Sans 11 pt, paragraphs
justified like the printed report, a line too long for the page wrapped, never clipped),
put in an image-only PDF and read back by `extract_report`, which rasterises the pages
and OCRs them with Tesseract's Vietnamese model, one run for the module (~40 s).

The scan is of a text OCR'd once already: characters Tesseract's Vietnamese model cannot
emit (the sample's "¢") come back as something else, and each page break is a blank line
in the OCR'd text. Each test prints its share and the figures missing (pytest -s)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from ingest.reports import ReportExtraction, extract_report, extract_text
from tests.conftest import SAMPLE_REPORT, require_service
from tests.ingest.reports.test_reports_sample import EXPECTED, _key

THRESHOLD = 0.98
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # as test_reports_inputs

# A4 at 300 dpi, the resolution extract_report renders PDF pages at (OCR_DPI), 11 pt type.
PAGE_PX = (2480, 3508)
MARGIN_PX = 150  # 12.7 mm
FONT_PX = 46  # 11 pt at 300 dpi: the sample's longest line fits the text width unwrapped
LINE_PX = 64  # 1.4 line spacing
TEXT_PX = PAGE_PX[0] - 2 * MARGIN_PX


def score(extraction: ReportExtraction) -> tuple[float, list[tuple]]:
    """The share of EXPECTED found in `extraction`, and the figures missing."""
    got = {
        _key(r["metric"], r["qualifiers"], r["value"], r["denominator"])
        for r in (figure.to_json() for figure in extraction.figures)
    }
    missing = [e for e in EXPECTED if _key(*e) not in got]
    return 1 - len(missing) / len(EXPECTED), missing


def check(name: str, extraction: ReportExtraction) -> None:
    share, missing = score(extraction)
    print(f"\n{name}: {share:.2%} of {len(EXPECTED)} figures; missing: {missing}")
    assert share >= THRESHOLD, (name, f"{share:.2%}", missing)


def _wrap(line: str, face, width: int) -> list[str]:
    """`line` cut at spaces into pieces no wider than `width` pixels (a word wider than
    the page, if any, is cut between characters)."""
    if face.getlength(line) <= width:
        return [line]
    pieces: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if face.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while face.getlength(word) > width:
            cut = max(n for n in range(1, len(word) + 1) if face.getlength(word[:n]) <= width)
            pieces.append(word[:cut])
            word = word[cut:]
        current = word
    pieces.append(current)
    return pieces


def _layout(text: str, face) -> list[tuple[str, bool]]:
    """The lines to draw, each with whether it is justified: like the printed report, a
    line followed by another line of its paragraph fills the text width (Tesseract takes
    a ragged line end for the end of a paragraph and puts a blank line after it)."""
    lines = [piece for line in text.splitlines() for piece in _wrap(line.rstrip(), face, TEXT_PX)]
    return [
        (line, i + 1 < len(lines) and lines[i + 1].strip() != "" and face.getlength(line) >= 0.6 * TEXT_PX)
        for i, line in enumerate(lines)
    ]


def _draw(draw, x: int, y: int, line: str, face, justified: bool) -> None:
    words = line.split()
    if not justified or len(words) < 2:
        draw.text((x, y), line, font=face, fill=0)
        return
    x += face.getlength(line[: len(line) - len(line.lstrip())])  # a leading space, if any
    gap = (TEXT_PX - (x - MARGIN_PX) - sum(face.getlength(w) for w in words)) / (len(words) - 1)
    for word in words:
        draw.text((round(x), y), word, font=face, fill=0)
        x += face.getlength(word) + gap


def scan_pages(text: str, font: Path) -> list:
    """The text drawn on A4 page images at 300 dpi, black on white, line by line."""
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.truetype(str(font), FONT_PX)
    lines = _layout(text, face)
    per_page = (PAGE_PX[1] - 2 * MARGIN_PX) // LINE_PX
    pages = []
    for start in range(0, len(lines), per_page):
        image = Image.new("L", PAGE_PX, color=255)
        draw = ImageDraw.Draw(image)
        for number, (line, justified) in enumerate(lines[start : start + per_page]):
            _draw(draw, MARGIN_PX, MARGIN_PX + LINE_PX * number, line, face, justified)
        pages.append(image)
    return pages


def scanned_pdf(path: Path, text: str, font: Path) -> Path:
    """An image-only PDF (no text layer) of `text`, one A4 page image per page."""
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    for image in scan_pages(text, font):
        pdf.add_page()
        pdf.image(image, x=0, y=0, w=210, h=297)
    pdf.output(str(path))
    return path


@pytest.fixture(scope="module")
def font() -> Path:
    if not FONT.exists():
        require_service("the DejaVu font (fonts-dejavu-core)", FileNotFoundError(FONT))
    return FONT


@pytest.fixture(scope="module")
def sample_text() -> str:
    return SAMPLE_REPORT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def scanned_extraction(tmp_path_factory, font: Path, tesseract_vie: None, sample_text: str):
    """The whole sample report as a scanned PDF, OCR'd once for the module (~15 pages)."""
    pdf = scanned_pdf(tmp_path_factory.mktemp("scan") / "khanh_hoa_2020_scan.pdf", sample_text, font)
    return extract_report(pdf)


def test_ocrd_text_as_is() -> None:
    check("OCR'd text", extract_report(SAMPLE_REPORT))


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_unicode_normal_forms(form: str, sample_text: str) -> None:
    text = unicodedata.normalize(form, sample_text)
    check(f"{form} text", extract_text(text, source_file=f"sample-{form}.txt"))


def test_scan_draws_every_character_inside_the_page(font: Path, sample_text: str) -> None:
    """The fixture is a faithful scan: long lines are wrapped, not clipped, and no
    character is lost; each page's ink stays inside its margins."""
    from PIL import ImageFont

    face = ImageFont.truetype(str(font), FONT_PX)
    for line in sample_text.splitlines():
        pieces = _wrap(line.rstrip(), face, TEXT_PX)
        assert " ".join(pieces).split() == line.split()
        assert all(face.getlength(piece) <= TEXT_PX for piece in pieces)
    pages = scan_pages(sample_text, font)
    assert len(pages) >= 10
    for page in pages:
        left, top, right, bottom = page.point(lambda v: 255 - v).getbbox()
        assert left >= MARGIN_PX // 2 and right <= PAGE_PX[0] - MARGIN_PX // 2
        assert top >= MARGIN_PX // 2 and bottom <= PAGE_PX[1] - MARGIN_PX // 2


def test_scanned_pdf(scanned_extraction: ReportExtraction) -> None:
    check("scanned PDF", scanned_extraction)
