"""PDF text layers and OCR'd images go through the same extraction as .txt files.

pdfplumber and tesseract are optional; these tests stand in small fakes for them so
the wiring is checked on any machine.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

from ingest.reports import ReportError, extract_report
from ingest.reports import extract as extract_module

PAGE_1 = "UBND TỈNH KHÁNH HÒA\nSố: 43/BC-UBND\nKhánh Hòa, ngày 17 tháng 3 năm 2021\n"
PAGE_2 = (
    "Tổng kết công tác cải cách hành chính tỉnh Khánh Hòa năm 2020\n"
    "Tổng số TTHC hiện tại là 1.787 thủ tục, trong đó cấp tỉnh là 1.232, cấp huyện là 220.\n"
)


class _FakePage:
    def __init__(self, text: str | None) -> None:
        self._text = text

    def extract_text(self) -> str | None:
        return self._text


class _FakePdf:
    def __init__(self, pages: list[str | None]) -> None:
        self.pages = [_FakePage(t) for t in pages]

    def __enter__(self) -> _FakePdf:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _fake_pdfplumber(monkeypatch: pytest.MonkeyPatch, pages: list[str | None]) -> None:
    module = types.ModuleType("pdfplumber")
    module.open = lambda path: _FakePdf(pages)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pdfplumber", module)


def test_pdf_text_layer_is_extracted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_pdfplumber(monkeypatch, [PAGE_1, PAGE_2])
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4 fake")
    extraction = extract_report(pdf)
    records = {(f.metric, tuple(f.qualifiers.items())): f.to_json() for f in extraction.figures}
    assert records[("procedures_total", ())]["value"] == 1787
    assert records[("procedures_total", ())]["line"] == 6  # pages joined by a newline
    assert records[("procedures_total", (("level", "district"),))]["value"] == 220
    assert extraction.document["report_number"] == "43/BC-UBND"
    assert extraction.document["province"] == "Khanh Hoa"


def test_pdf_without_text_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_pdfplumber(monkeypatch, [None, ""])
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4 fake")
    with pytest.raises(ReportError, match="no text layer"):
        extract_report(pdf)


def test_image_goes_through_tesseract_vie(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def fake_run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(args)
        return subprocess.CompletedProcess(args, 0, stdout=PAGE_1 + PAGE_2, stderr="")

    monkeypatch.setattr(extract_module.shutil, "which", lambda name: "/usr/bin/tesseract")
    monkeypatch.setattr(extract_module.subprocess, "run", fake_run)
    image = tmp_path / "scan.png"
    image.write_bytes(b"\x89PNG fake")
    extraction = extract_report(image)
    assert calls and calls[0][-2:] == ["-l", "vie"]
    assert any(f.metric == "procedures_total" and f.value == 1787 for f in extraction.figures)
