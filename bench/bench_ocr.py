"""Time the OCR of a scanned PDF: seconds per page, with a baseline in the same run.

    .venv/bin/python bench/bench_ocr.py [--pages 8] [--repeat 1]

Renders the sample report's text (data/samples/reports/...) onto A4 page images at
300 dpi (DejaVu Sans 11 pt, as the OCR tests do), wraps them in an image-only PDF (fpdf2),
then OCRs it with `ingest.reports.reading._ocr_pdf` in three configurations:

- original: the code before this benchmark (RGB pages, one after the other, Tesseract's
  OpenMP threads as the environment leaves them);
- baseline: the extractor's page rendering (grayscale), one page after the other,
  OpenMP threads as the environment leaves them;
- OMP_THREAD_LIMIT=1, pages one after the other;
- OMP_THREAD_LIMIT=1, pages in parallel on os.cpu_count() tesseract processes (what the
  extractor does).

Writes bench/results/ocr.json (machine, cores, seconds per page of each configuration,
and whether each configuration's text is the same as the baseline's).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

from ingest.reports.extract import extract_text
from ingest.reports.reading import _ocr_env, _ocr_pdf

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "ocr.json"
SAMPLE = ROOT / "data" / "samples" / "reports" / "khanh-hoa" / "2020" / "khanh_hoa_2020_cchc_report.txt"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DPI = 300
A4 = (2480, 3508)  # pixels at 300 dpi
MARGIN, LINE_HEIGHT, FONT_PX, WRAP = 180, 70, 46, 80  # 11 pt at 300 dpi is 46 px


def page_texts(pages: int) -> list[str]:
    """The sample report's first `pages` pages of text, wrapped to the page width."""
    lines: list[str] = []
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        lines.extend(textwrap.wrap(line, WRAP) or [""])
    per_page = (A4[1] - 2 * MARGIN) // LINE_HEIGHT
    chunks = [lines[i : i + per_page] for i in range(0, len(lines), per_page)]
    if len(chunks) < pages:
        chunks = (chunks * (pages // len(chunks) + 1))
    return ["\n".join(chunk) for chunk in chunks[:pages]]


def scanned_pdf(path: Path, texts: list[str]) -> Path:
    """An image-only PDF: each page a 300-dpi grayscale scan of one page of text."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.truetype(str(FONT), FONT_PX)
    pdf = FPDF(unit="mm", format="A4")
    for number, text in enumerate(texts):
        image = Image.new("L", A4, color=255)
        draw = ImageDraw.Draw(image)
        for row, line in enumerate(text.splitlines()):
            draw.text((MARGIN, MARGIN + LINE_HEIGHT * row), line, font=face, fill=0)
        png = path.parent / f"page-{number}.png"
        image.save(png, dpi=(DPI, DPI))
        pdf.add_page()
        pdf.image(str(png), x=0, y=0, w=210, h=297)
    pdf.output(str(path))
    return path


def original_ocr_pdf(pdf: Path) -> str:
    """The OCR loop as it was before (for the record): RGB PNG pages, one at a time."""
    import io

    import pypdfium2

    pages = []
    document = pypdfium2.PdfDocument(pdf)
    try:
        for page in document:
            buffer = io.BytesIO()
            page.render(scale=DPI / 72).to_pil().save(buffer, format="PNG")
            done = subprocess.run(["tesseract", "stdin", "stdout", "-l", "vie"],
                                  input=buffer.getvalue(), capture_output=True, check=True)
            pages.append(done.stdout.decode("utf-8", "replace"))
    finally:
        document.close()
    return "\n".join(pages)


def timed(pdf: Path, workers: int | None, omp_thread_limit: str | None) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds of the tesseract processes, and the text."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    if workers is None:
        text = original_ocr_pdf(pdf)
    else:
        text = _ocr_pdf(pdf, workers=workers, env=_ocr_env(omp_thread_limit))
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - children.ru_utime + after.ru_stime - children.ru_stime
    return seconds, cpu, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each configuration; the best is kept")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    configurations = {  # name: (workers, OMP_THREAD_LIMIT)
        "original_code": (None, None),
        "baseline_sequential_default_omp": (1, None),
        "sequential_omp_1": (1, "1"),
        f"parallel_{cores}_omp_1": (cores, "1"),
    }
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="cchc-bench-ocr-") as tmp:
        pages = page_texts(args.pages)
        pdf = scanned_pdf(Path(tmp) / "scan.pdf", pages)
        runs: dict[str, dict] = {}
        texts: dict[str, str] = {}
        for name, (workers, limit) in configurations.items():
            best = best_cpu = None
            for _ in range(args.repeat):
                seconds, cpu, text = timed(pdf, workers, limit)
                if best is None or seconds < best:
                    best, best_cpu = seconds, cpu
                texts[name] = text
            runs[name] = {
                "workers": workers,
                "OMP_THREAD_LIMIT": limit,
                "seconds": round(best, 2),
                "seconds_per_page": round(best / args.pages, 2),
                "tesseract_cpu_seconds_per_page": round(best_cpu / args.pages, 2),
            }
            print(f"{name}: {best:.1f} s, {best / args.pages:.2f} s/page "
                  f"({best_cpu / args.pages:.2f} s CPU/page)", flush=True)
    baseline = "baseline_sequential_default_omp"
    for name, run in runs.items():
        run["same_text_as_baseline"] = texts[name] == texts[baseline]
        run["speedup"] = round(runs[baseline]["seconds"] / run["seconds"], 2)
    try:  # what the OCR text is worth: figures read from it against from the typed text
        figures: int | str = len(extract_text(texts[f"parallel_{cores}_omp_1"]).figures)
        figures_typed: int | str = len(extract_text("\n".join(pages)).figures)
    except Exception as exc:  # the timings stand on their own
        figures = figures_typed = f"extraction failed: {type(exc).__name__}: {exc}"
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True)
    tesseract = version.stdout.split("\n")[0]
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "pages": args.pages,
        "dpi": DPI,
        "runs": runs,
        "figures_from_ocr_text": figures,
        "figures_from_the_same_text_typed": figures_typed,
        "tesseract": tesseract,
        "machine": f"{platform.machine()}, {cores} cores, Python {platform.python_version()}",
        "load_average_at_start": round(load, 2),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
