"""Benchmark: loading a year of dossier exports month by month, against plain DuckDB.

Generates the sample exports at `--scale` (18: about ten million dossier rows in 552 CSVs,
2.1 GiB) with `cchc generate-exports`' generator, then, each step in a fresh child process
so that its peak resident memory (VmHWM) is its own:

1. **load**: `ingest.exports.load_exports` month by month (one batch per month, as the
   monthly DAG does) into a fresh warehouse: seconds and rows per month;
2. **twelfth month**: the last month into a copy of the warehouse holding the first eleven,
   and into an empty warehouse, alternating;
3. **baseline**: plain DuckDB, month by month, `read_csv` of the same files (its own type
   detection, `union_by_name`, every file sniffed) appended to one table of a fresh
   database file: what reading the same bytes into a typed table costs without any of
   the loader's work (labels, names, checks, quarantine, manifest, partitions); steps 1
   and 3 alternate, and each measure is the best of its runs (the machine is shared);
4. **sample tree**: the committed sample (data/samples/exports, hundreds of small files)
   month by month into a fresh warehouse: its time per file is a load's fixed cost;
5. **largest XLSX**: a workbook whose parts inflate to just under the limit the loader
   accepts (XLSX_MAX_INFLATED_MIB), loaded into a fresh warehouse: the peak memory of the
   worst workbook a load takes.

Writes bench/results/load_exports.json and prints it.

    .venv/bin/python bench/bench_load_exports.py [--scale 18] [--keep DIR] [--samples DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
TRIALS = 2  # the best of this many runs of each measure (three for the twelfth month)


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM: its own, not the parent's through fork)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM in /proc/self/status")


def months_of(tree: Path) -> list[str]:
    return sorted({p.name for p in tree.glob("*/*") if p.is_dir()})


def child_load(tree: str, warehouse: str, months: str) -> None:
    """Load the given months (comma-separated) one batch each; print per-month timings."""
    from ingest.exports import landed_exports, load_exports
    from ingest.warehouse import connect

    con = connect(Path(warehouse))
    steps = []
    for month in months.split(","):
        files = landed_exports(Path(tree), month)
        started, cpu = time.perf_counter(), time.process_time()
        results = load_exports(con, files)
        steps.append({"month": month, "files": len(files),
                      "rows": sum(r.rows_read for r in results),
                      "rows_loaded": sum(r.rows_loaded for r in results),
                      "seconds": round(time.perf_counter() - started, 2),
                      "cpu_seconds": round(time.process_time() - cpu, 2)})
    con.close()
    print(json.dumps({"months": steps, "peak_rss_mib": peak_rss_mib()}))


def child_baseline(tree: str, database: str, months: str) -> None:
    """Plain DuckDB: each month's files read by one read_csv into one typed table."""
    import duckdb

    con = duckdb.connect(database)
    steps = []
    for k, month in enumerate(months.split(",")):
        files = sorted(str(p) for p in Path(tree).glob(f"*/{month}/*.csv"))
        read = (f"select * from read_csv({files!r}, header=true, union_by_name=true, "
                f"files_to_sniff=-1)")
        started = time.perf_counter()
        rows = con.execute(("create table dossiers as " if k == 0 else "insert into dossiers ")
                           + read).fetchone()[0]
        steps.append({"month": month, "files": len(files), "rows": rows,
                      "seconds": round(time.perf_counter() - started, 2)})
    types = dict(con.execute("select column_name, data_type from duckdb_columns() "
                             "where table_name = 'dossiers'").fetchall())
    con.close()
    print(json.dumps({"months": steps, "column_types": types, "peak_rss_mib": peak_rss_mib()}))


XLSX_HEADER = ["Mã hồ sơ", "Mã TTHC", "Tên TTHC", "Mã lĩnh vực", "Tên lĩnh vực", "Đơn vị xử lý",
               "Kênh thực hiện", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày kết thúc xử lý",
               "Ngày trả", "Trạng thái hồ sơ", "Được thanh toán trực tuyến", "Phí"]
XLSX_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
    'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="'
    'application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
    'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="'
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.'
    'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/>'
    '</sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="'
    'http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>',
}


def _xlsx_row(number: int, values: list[str]) -> str:
    from xml.sax.saxutils import escape

    return f'<row r="{number}">' + "".join(
        f'<c r="{chr(65 + k)}{number}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
        for k, v in enumerate(values)) + "</row>"


def write_largest_xlsx(path: Path, inflated_mib: int) -> int:
    """An XLSX of dossier rows whose parts inflate to just under `inflated_mib` (streamed
    into the zip; written by hand since openpyxl would take minutes). Returns its rows."""
    import zipfile

    def values(i: int) -> list[str]:
        return [f"000.00.31.H34-202003-{i:07d}", "1.001234", "Cấp giấy phép xây dựng",
                "LV01", "Xây dựng", "000.00.31.H34", "1", "01/03/2020 08:00", "05/03/2020",
                "04/03/2020 10:00", "05/03/2020 09:00", "10", "Không", "0"]

    budget = int(inflated_mib * 2**20 * 0.98) - sum(map(len, XLSX_PARTS.values())) - 4096
    rows = budget // len(_xlsx_row(9_999_999, values(9_999_999)).encode())
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in XLSX_PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://'
                        b'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            sheet.write(_xlsx_row(1, XLSX_HEADER).encode())
            for start in range(0, rows, 10_000):
                sheet.write("".join(_xlsx_row(i + 2, values(i + 1))
                                    for i in range(start, min(start + 10_000, rows))).encode())
            sheet.write(b"</sheetData></worksheet>")
    return rows


def child_xlsx(workbook: str, warehouse: str) -> None:
    """Load one workbook into a fresh warehouse: rows, seconds, peak RSS."""
    from ingest.exports import load_export
    from ingest.warehouse import connect

    con = connect(Path(warehouse))
    started = time.perf_counter()
    result = load_export(con, Path(workbook))
    seconds = round(time.perf_counter() - started, 2)
    con.close()
    print(json.dumps({"rows": result.rows_read, "rows_loaded": result.rows_loaded,
                      "seconds": seconds, "peak_rss_mib": peak_rss_mib()}))


def _run_child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          cwd=REPO)
    if proc.returncode:
        raise SystemExit(f"child {args[0]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _total(steps: list[dict], key: str = "seconds") -> float:
    return round(sum(s[key] for s in steps), 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=18.0)
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this folder")
    parser.add_argument("--samples", type=Path, default=REPO / "data" / "samples" / "exports",
                        help="tree of small exports for the per-file cost")
    args = parser.parse_args()
    from ingest.exports.loader import MEMORY_LIMIT
    from ingest.exports.reader import XLSX_MAX_INFLATED_MIB

    load_average = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="cchc-bench-") as tmp:
        tree = (args.keep or Path(tmp)) / f"exports_scale_{args.scale:g}"
        generate_seconds = None
        if not any(tree.glob("*/*/*.csv")):
            from ingest.sample import generate_exports

            print(f"generating exports at scale {args.scale:g} into {tree} ...", file=sys.stderr)
            started = time.perf_counter()
            generate_exports(tree, scale=args.scale)
            generate_seconds = round(time.perf_counter() - started, 1)
        months = months_of(tree)
        first, last = ",".join(months[:-1]), months[-1]
        # This machine is shared: each measure is the best of TRIALS runs, the loader's and
        # plain DuckDB's alternating so that both meet the same neighbours.
        years, baselines, into_full, into_empty = [], [], [], []
        for trial in range(TRIALS):
            print(f"[{trial + 1}/{TRIALS}] loading month by month, then plain DuckDB ...",
                  file=sys.stderr)
            warehouse = Path(tmp) / f"load{trial}.duckdb"
            load = _run_child("--load", str(tree), str(warehouse), first)
            eleven = Path(tmp) / "eleven.duckdb"
            if trial == 0:
                shutil.copy(warehouse, eleven)  # the warehouse the twelfth month goes into
            twelfth = _run_child("--load", str(tree), str(warehouse), last)
            years.append({"months": load["months"] + twelfth["months"],
                          "peak_rss_mib": max(load["peak_rss_mib"], twelfth["peak_rss_mib"])})
            warehouse.unlink()
            baselines.append(_run_child("--baseline", str(tree),
                                        str(Path(tmp) / f"base{trial}.duckdb"), ",".join(months)))
            (Path(tmp) / f"base{trial}.duckdb").unlink()
        print("the last month into eleven months and into nothing, alternating ...",
              file=sys.stderr)
        for trial in range(TRIALS + 1):
            full = Path(tmp) / "full.duckdb"
            shutil.copy(eleven, full)
            into_full.append(_run_child("--load", str(tree), str(full), last))
            full.unlink()
            into_empty.append(_run_child("--load", str(tree), str(Path(tmp) / f"e{trial}.duckdb"),
                                         last))
            (Path(tmp) / f"e{trial}.duckdb").unlink()
        print("the committed sample tree ...", file=sys.stderr)
        sample = _run_child("--load", str(args.samples), str(Path(tmp) / "sample.duckdb"),
                            ",".join(months_of(args.samples)))
        csv_mib = round(sum(p.stat().st_size for p in tree.glob("*/*/*.csv")) / 2**20, 1)
        print("the largest XLSX the inflate limit accepts ...", file=sys.stderr)
        workbook = Path(tmp) / "largest.xlsx"
        xlsx_rows = write_largest_xlsx(workbook, XLSX_MAX_INFLATED_MIB)
        xlsx_mib = round(workbook.stat().st_size / 2**20, 1)
        xlsx = _run_child("--xlsx", str(workbook), str(Path(tmp) / "xlsx.duckdb"))
        assert xlsx["rows"] == xlsx_rows, xlsx
    year = min(years, key=lambda y: _total(y["months"]))
    baseline = min(baselines, key=lambda b: _total(b["months"]))
    steps = year["months"]
    load_seconds, base_seconds = _total(steps), _total(baseline["months"])
    full_seconds = min(t["months"][0]["seconds"] for t in into_full)
    empty_seconds = min(t["months"][0]["seconds"] for t in into_empty)
    sample_files = sum(s["files"] for s in sample["months"])
    result = {
        "benchmark": "load_exports",
        "scale": args.scale,
        "files": sum(s["files"] for s in steps),
        "rows": sum(s["rows"] for s in steps),
        "csv_mib": csv_mib,
        "generate_seconds": generate_seconds,  # null: a kept tree was used again
        "load_seconds": load_seconds,
        "baseline_read_csv_seconds": base_seconds,
        "ratio_to_baseline": round(load_seconds / base_seconds, 2),
        "rows_per_second": round(sum(s["rows"] for s in steps) / load_seconds),
        "trials": TRIALS,
        "load_seconds_each_trial": [_total(y["months"]) for y in years],
        "baseline_seconds_each_trial": [_total(b["months"]) for b in baselines],
        "twelfth_month": {
            "month": last, "rows": steps[-1]["rows"],
            "into_eleven_months_seconds": full_seconds,
            "into_empty_seconds": empty_seconds,
            "ratio": round(full_seconds / empty_seconds, 2),
            "each_trial": {"into_eleven_months": [t["months"][0]["seconds"] for t in into_full],
                           "into_empty": [t["months"][0]["seconds"] for t in into_empty]},
        },
        "peak_rss_mib": max([y["peak_rss_mib"] for y in years]
                            + [t["peak_rss_mib"] for t in into_full + into_empty]),
        "baseline_peak_rss_mib": baseline["peak_rss_mib"],
        "memory_limit_during_loads": MEMORY_LIMIT,
        "months": steps,
        "baseline_months": baseline["months"],
        "baseline_column_types": baseline["column_types"],
        "largest_xlsx": {"inflated_limit_mib": XLSX_MAX_INFLATED_MIB, "rows": xlsx["rows"],
                         "size_on_disk_mib": xlsx_mib, "seconds": xlsx["seconds"],
                         "peak_rss_mib": xlsx["peak_rss_mib"]},
        "sample_tree": {
            "files": sample_files,
            "rows": sum(s["rows"] for s in sample["months"]),
            "seconds": _total(sample["months"]),
            "ms_per_file": round(_total(sample["months"]) / max(sample_files, 1) * 1000, 1),
            "peak_rss_mib": sample["peak_rss_mib"],
        },
        "command": "python bench/bench_load_exports.py " + " ".join(sys.argv[1:]),
        "load_average_at_start": round(load_average, 2),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "load_exports.json").write_text(json.dumps(result, indent=2, ensure_ascii=False)
                                               + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    if len(sys.argv) == 5 and sys.argv[1] == "--load":
        child_load(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "--xlsx":
        child_xlsx(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "--baseline":
        child_baseline(*sys.argv[2:])
    else:
        raise SystemExit(main())
