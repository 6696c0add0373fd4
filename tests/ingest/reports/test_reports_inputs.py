"""PDF text layers, scanned PDFs and images go through the same extraction as .txt files.

The PDFs and images are made here (fpdf2, Pillow, the DejaVu font) and read with the real
pdfplumber and the real Tesseract with its Vietnamese model, which
scripts/install-system-packages.sh installs (`make setup` runs it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.reports import ReportError, extract_report
from tests.conftest import REPO_ROOT, require_service

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
PAGE_1 = "UBND TỈNH KHÁNH HÒA\nSố: 43/BC-UBND\nKhánh Hòa, ngày 17 tháng 3 năm 2021\n"
PAGE_2 = (
    "Tổng kết công tác cải cách hành chính tỉnh Khánh Hòa năm 2020\n"
    "Tổng số TTHC hiện tại là 1.787 thủ tục, trong đó cấp tỉnh là 1.232,\n"
    "cấp huyện là 220, cấp xã là 98, áp dụng nhiều cấp là 237.\n"
)


@pytest.fixture(scope="module")
def font() -> Path:
    if not FONT.exists():
        require_service("the DejaVu font (fonts-dejavu-core)", FileNotFoundError(FONT))
    return FONT


def procedures(extraction) -> dict:
    return {
        tuple(figure.qualifiers.items()): figure.value
        for figure in extraction.figures
        if figure.metric == "procedures_total"
    }


EXPECTED = {
    (): 1787,
    (("level", "province"),): 1232,
    (("level", "district"),): 220,
    (("level", "commune"),): 98,
    (("level", "multi_level"),): 237,
}


def text_pdf(path: Path, font: Path, pages: list[str]) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", fname=str(font))
    for page in pages:
        pdf.add_page()
        pdf.set_font("DejaVu", size=11)
        for line in page.splitlines():
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def page_image(path: Path, font: Path, text: str) -> Path:
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.truetype(str(font), 40)
    lines = text.splitlines()
    image = Image.new("L", (2300, 90 + 64 * len(lines)), color=255)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((60, 40 + 64 * number), line, font=face, fill=0)
    image.save(path)
    return path


def test_pdf_text_layer_gives_the_figures_of_the_same_text(tmp_path: Path, font: Path) -> None:
    pdf = extract_report(text_pdf(tmp_path / "report.pdf", font, [PAGE_1, PAGE_2]))
    txt_path = tmp_path / "report.txt"
    txt_path.write_text(PAGE_1 + PAGE_2, encoding="utf-8")
    txt = extract_report(txt_path)
    assert procedures(pdf) == procedures(txt) == EXPECTED
    assert pdf.document["report_number"] == "43/BC-UBND"
    assert str(pdf.document["issued_date"]) == "2021-03-17"


def test_image_goes_through_tesseract_vie(tmp_path: Path, font: Path, tesseract_vie: None) -> None:
    extraction = extract_report(page_image(tmp_path / "scan.png", font, PAGE_1 + PAGE_2))
    assert procedures(extraction) == EXPECTED
    assert extraction.document["province"] == "Khanh Hoa"


def test_scanned_pdf_is_rasterised_and_ocrd(tmp_path: Path, font: Path, tesseract_vie: None) -> None:
    from fpdf import FPDF

    image = page_image(tmp_path / "page.png", font, PAGE_1 + PAGE_2)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(image), x=5, y=5, w=200)  # an image only: no text layer
    pdf.output(str(tmp_path / "scan.pdf"))
    assert procedures(extract_report(tmp_path / "scan.pdf")) == EXPECTED


@pytest.mark.parametrize("kind", ["png", "pdf"])
def test_without_tesseract_the_error_says_what_to_install(tmp_path: Path, font: Path, kind: str) -> None:
    from fpdf import FPDF

    scan = page_image(tmp_path / "scan.png", font, PAGE_1)
    if kind == "pdf":
        pdf = FPDF()
        pdf.add_page()
        pdf.image(str(scan), x=5, y=5, w=200)
        scan = tmp_path / "scan.pdf"
        pdf.output(str(scan))
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin")}  # no tesseract on PATH
    proc = subprocess.run(
        [sys.executable, "-m", "ingest.reports", str(scan)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert scan.name in proc.stderr and "tesseract-ocr-vie" in proc.stderr


def test_broken_pdf_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nnot really a pdf\n%%EOF\n")
    with pytest.raises(ReportError, match="broken.pdf: cannot read the PDF"):
        extract_report(broken)


def test_ocr_pages_join_into_paragraphs() -> None:
    """A page that ends mid-sentence continues on the next; one that ends a sentence ends
    its paragraph (Tesseract ends every page with a line break of its own)."""
    from ingest.reports.reading import join_pages

    assert join_pages(["co quan (20/21\n", "UBND cap huyen).\n", "II. MOT\n"]) == (
        "co quan (20/21\nUBND cap huyen).\n\nII. MOT\n")

