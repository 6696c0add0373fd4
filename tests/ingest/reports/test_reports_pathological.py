"""Extraction stays linear on hostile text: huge numbers, megabytes of report-like prose,
one sentence repeated thousands of times, long runs of punctuation, digits or words.

Each input is extracted in a subprocess (a hung regex cannot hang the suite) at two sizes,
n and 2n: the time must stay under a generous ceiling, and doubling the input must not
much more than double the time (a quadratic pattern quadruples it). A regex that
backtracks shows up here first; to find it, time each pattern of rules/*.yml on the input
(see the test's failure message for the sizes and times).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO_ROOT, SAMPLE_REPORT

TIMEOUT_SECONDS = 30  # for both sizes of one input, rule loading included
MAX_RATIO = 3.0  # time(2n) / time(n): 2 for linear work, 4 for quadratic
NOISE_SECONDS = 0.3  # below this, the ratio of two timings says nothing

HEAD = "Báo cáo kết quả công tác cải cách hành chính năm 2020.\n\n"


def make(kind: str, n: int) -> str:
    """The pathological input `kind` of size n (digits, characters or repetitions)."""
    if kind == "digit_run":  # (a) a 16,000-digit number inside a sentence about dossiers
        return HEAD + "Trong năm, toàn tỉnh đã tiếp nhận " + "7" * n + " hồ sơ, giải quyết đúng hạn.\n"
    if kind == "report_prose":  # (b) ~1 MB of CCHC sentences: the sample report, repeated
        sample = SAMPLE_REPORT.read_text(encoding="utf-8")
        return (sample * (n // len(sample) + 1))[:n]
    if kind == "repeated_phrase":  # (c) one phrase, thousands of times, in one sentence
        return HEAD + "Trong năm " + "tiếp nhận 1.234 hồ sơ, " * n + "đã giải quyết xong.\n"
    runs = {  # (d) long runs inside a sentence that the rules read
        "dots": ".", "commas": ",", "spaces": " ", "dotted_ones": "1.", "words": "a ",
        "thousands_groups": ".234", "number_list": "12345, ",
    }
    if kind in runs:
        return HEAD + "Tiếp nhận hồ sơ 1" + runs[kind] * n + " 12 hồ sơ trực tuyến, chiếm 45%.\n"
    raise KeyError(kind)


CASES = {  # kind: n (the test also runs 2n)
    "digit_run": 8_000,
    "report_prose": 500_000,
    "repeated_phrase": 10_000,
    "dots": 50_000,
    "commas": 50_000,
    "spaces": 50_000,
    "dotted_ones": 50_000,
    "words": 50_000,
    "thousands_groups": 25_000,
    "number_list": 20_000,
}


def measure(kind: str, sizes: list[int]) -> None:
    """In the subprocess: warm up (rules loaded), then print the seconds of each size: the
    best of up to three runs while they stay short, so a busy machine (CI runs other work
    beside) does not pass for a quadratic regex."""
    from ingest.reports.extract import extract_text

    extract_text(make("report_prose", 20_000))
    for n in sizes:
        text = make(kind, n)
        runs: list[float] = []
        while len(runs) < 3 and sum(runs) < 2.0:
            started = time.perf_counter()
            extract_text(text)
            runs.append(time.perf_counter() - started)
        seconds = min(runs)
        print(json.dumps({"n": n, "chars": len(text), "seconds": seconds}), flush=True)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_extraction_is_linear_on_pathological_input(kind: str) -> None:
    n = CASES[kind]
    code = (f"from tests.ingest.reports.test_reports_pathological import measure; "
            f"measure({kind!r}, [{n}, {2 * n}])")
    try:
        proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as exc:
        done = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        pytest.fail(f"{kind}: extracting sizes {n} and {2 * n} took over {TIMEOUT_SECONDS}s "
                    f"(finished: {done.strip() or 'none'}); a regex or a loop is not linear")
    assert proc.returncode == 0, proc.stderr[-3000:]
    small, large = (json.loads(line) for line in proc.stdout.splitlines())
    ratio = large["seconds"] / max(small["seconds"], 1e-6)
    report = (f"{kind}: {small['chars']:,} chars in {small['seconds']:.2f}s, "
              f"{large['chars']:,} chars in {large['seconds']:.2f}s (ratio {ratio:.1f})")
    if large["seconds"] >= NOISE_SECONDS:
        assert ratio < MAX_RATIO, f"not linear: {report}"
