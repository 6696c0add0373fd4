"""Harness for the orchestration tests (tests/e2e/test_orchestration*.py): Airflow in
subprocesses on temporary folders, a local webhook receiver, expectations from the samples."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.conftest import REPO_ROOT, SAMPLES, pipeline_env

BIN = Path(sys.executable).parent
AIRFLOW = str(BIN / "airflow")
DAGS = REPO_ROOT / "dags"


def airflow_env(tmp: Path, landing: Path, **overrides: str) -> dict[str, str]:
    """`cchc`-style env (temporary warehouse, Airflow home) reading `landing`."""
    env = pipeline_env(tmp, CCHC_LANDING=str(landing))
    env.update({
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "CCHC_DBT_PROJECT_DIR": str(REPO_ROOT / "dbt_project"),
    })
    for key in [k for k in env if k.startswith(("AIRFLOW_VAR_", "AIRFLOW_CONN_"))]:
        env.pop(key)
    env.update(overrides)
    return env


def run_airflow(args: list[str], env: dict[str, str], timeout: float = 180) -> str:
    proc = subprocess.run([AIRFLOW, *args], env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"airflow {' '.join(args)}:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


def copy_landing(dest: Path, months: list[str] | None = None, reports: bool = False) -> Path:
    """A landing folder with the sample exports of `months` (all when None)."""
    for folder in sorted((SAMPLES / "exports").glob("*/*")):
        if folder.is_dir() and (months is None or folder.name in months):
            shutil.copytree(folder, dest / "exports" / folder.parent.name / folder.name)
    if reports:
        shutil.copytree(SAMPLES / "reports", dest / "reports")
    (dest / "exports").mkdir(parents=True, exist_ok=True)
    (dest / "reports").mkdir(parents=True, exist_ok=True)
    return dest


def sample_rows_per_agency_month(months: list[str]) -> Counter:
    """Data rows of the sample export files per (agency folder, month folder), read with
    the csv module: the number of rows the loader must account for (loaded + quarantined)."""
    counts: Counter = Counter()
    for month in months:
        for path in sorted((SAMPLES / "exports").glob(f"*/{month}/*.csv")):
            try:
                text = path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:  # a legacy single-byte export: delimiters are ASCII
                text = path.read_text(encoding="latin-1")
            rows = sum(1 for _ in csv.DictReader(io.StringIO(text, newline="")))
            counts[(path.parent.parent.name, month)] += rows
    return counts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def webhook_receiver(status: int = 200) -> Iterator[tuple[str, list[dict]]]:
    """A local HTTP server (random port, own thread) that records JSON POST bodies."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server API)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append({"path": self.path, "content_type": self.headers.get("Content-Type"),
                             "json": json.loads(body)})
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args) -> None:
            """Quiet: the test asserts on the payloads, not on the access log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.timeout = 1
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/cchc", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


DRIVER = Path(__file__).with_name("dag_test_driver.py")


class DagTestProcess:
    """`dag.test()` runs in one Airflow process (tests/dags/dag_test_driver.py), each with
    its own environment on the process's Airflow home: the pytest process never imports
    Airflow's configuration, and several runs pay Airflow's start-up once. `migrate`:
    create or upgrade the metadata DB first, as `airflow db migrate` does."""

    def __init__(self, env: dict[str, str], log_file: Path, migrate: bool = False) -> None:
        self.env, self.log_file = env, log_file
        log_file.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, str(DRIVER), str(log_file), *(["--migrate"] if migrate else [])],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def test(self, env: dict[str, str], timeout: float = 240, **spec) -> dict:
        """One `dag.test()` as `spec` says: {"state", "run_id", "output"} (this run's log)."""
        for key in ("AIRFLOW_HOME", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
            assert env.get(key) == self.env.get(key), f"{key} differs from the process's"
        assert self.proc.poll() is None, f"the Airflow process exited; its log: {self.log_file}"
        offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        self.proc.stdin.write(json.dumps({"env": env, "spec": spec}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        with open(self.log_file, encoding="utf-8", errors="replace") as log:
            log.seek(offset)
            output = log.read()
        if not ready:
            self.proc.kill()
        result = json.loads(line) if line else {"error": f"no result within {timeout:.0f} s"}
        assert "error" not in result, output[-6000:] + result["error"]
        return {**result, "output": output}

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> DagTestProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def dag_test(env: dict[str, str], timeout: float = 240, **spec) -> dict:
    """One `dag.test()` in its own Airflow process (see DagTestProcess)."""
    log_file = Path(env["AIRFLOW_HOME"]) / f"dag-test-{uuid.uuid4().hex[:8]}.log"
    with DagTestProcess(env, log_file) as process:
        return process.test(env, timeout, **spec)


class Services:
    """Long-running Airflow components started as subprocesses (own process groups)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.procs: dict[str, subprocess.Popen] = {}
        logs.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, args: list[str]) -> None:
        log = open(self.logs / f"{name}.log", "w", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        self.procs[name] = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        log.close()

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"{name} exited ({proc.returncode}):\n{self.tail(name)}"

    def tail(self, name: str, lines: int = 60) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def stop(self) -> None:
        """SIGTERM what we started, then SIGKILL every process left in its tree after 20 s.

        Task processes may run in their own session, so the tree is collected first and
        each process is waited for: nothing may still hold the warehouse afterwards."""
        import psutil

        def tree() -> list[psutil.Process]:
            found = []
            for proc in self.procs.values():
                with contextlib.suppress(psutil.NoSuchProcess):
                    root = psutil.Process(proc.pid)
                    found += [root, *root.children(recursive=True)]
            return found

        started = tree()
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        psutil.wait_procs(started, timeout=20)
        # Kill what is left, children first seen now included (a task may have started
        # a dbt subprocess meanwhile), until nothing of ours runs.
        for _ in range(5):
            leftovers = {p.pid: p for p in started + tree() if _alive(p)}
            for parent in list(leftovers.values()):
                with contextlib.suppress(psutil.NoSuchProcess):
                    leftovers.update({c.pid: c for c in parent.children(recursive=True)})
            leftovers = {pid: p for pid, p in leftovers.items() if _alive(p)}
            if not leftovers:
                break
            started += list(leftovers.values())
            for leftover in leftovers.values():
                with contextlib.suppress(psutil.NoSuchProcess):
                    leftover.kill()
            psutil.wait_procs(list(leftovers.values()), timeout=10)
        for proc in self.procs.values():
            proc.wait(timeout=10)


def _alive(proc) -> bool:
    import psutil

    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_for(condition: Callable[[], object], timeout: float, what: str,
             services: Services | None = None, interval: float = 1.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if services:
            services.check_alive()
        time.sleep(interval)
    logs = "".join(f"\n--- {name}:\n{services.tail(name)}" for name in services.procs) if services else ""
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{logs}")
