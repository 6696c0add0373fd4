"""Reading a report file into text: plain text in any encoding, PDF with a text layer, or
scanned pages and images through Tesseract OCR (Vietnamese model)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ingest.reports.model import ReportError

TEXT_SUFFIXES = {".txt", ".text", ".md"}
PDF_SUFFIXES = {".pdf"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}


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
