"""The compose stack's Airflow configuration, for real on this machine: CeleryExecutor with
Redis as the broker, Postgres as metadata DB and result backend, a Celery worker started
here, and a DAG run whose task the worker executes (`dag.test(use_executor=True)`).

Isolation: a fresh Postgres database and a unique Redis key prefix (queues and control
messages live under it),
all removed afterwards."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from ingest import warehouse
from tests.conftest import require_service
from tests.dags.airflow_harness import (
    AIRFLOW,
    Services,
    copy_landing,
    dag_test,
    sample_rows_per_agency_month,
    wait_for,
)
from tests.e2e.test_orchestration_live import live_env, sql, start_api_server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
REDIS_URL = "redis://127.0.0.1:6379/0"
CELERY_APP = "airflow.providers.celery.executors.celery_executor.app"


@pytest.fixture
def redis_prefix() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        require_service("Redis", exc)
    prefix = f"cchc_test_{uuid.uuid4().hex[:10]}:"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


def celery_ping(env: dict[str, str], worker: str) -> bool:
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "celery"), "--app", CELERY_APP, "inspect", "ping",
         "-d", worker, "--timeout", "5"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    return proc.returncode == 0 and "pong" in proc.stdout


def test_celery_worker_runs_a_dag_run(tmp_path: Path, airflow_postgres_dsn: str, redis_prefix: str) -> None:
    month = "2020-02"
    # Airflow's default queue: under the unique key prefix no other worker can see it.
    queue = "default"
    worker = f"{redis_prefix.rstrip(':')}@localhost"
    landing = copy_landing(tmp_path / "landing", months=[month])
    env = live_env(
        tmp_path, landing, airflow_postgres_dsn, "CeleryExecutor",
        AIRFLOW__CELERY__BROKER_URL=REDIS_URL,
        AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX=redis_prefix,
        AIRFLOW__CELERY__RESULT_BACKEND="db+" + airflow_postgres_dsn,
        AIRFLOW__CELERY__WORKER_CONCURRENCY="1",
    )
    # The metadata DB: airflow db migrate on Postgres + the pool (a clone of the session's).

    services = Services(env, tmp_path / "logs")
    try:
        start_api_server(services)
        services.start("celery-worker", [AIRFLOW, "celery", "worker", "-q", queue, "-H", worker,
                                         "-c", "1", "--skip-serve-logs", "--without-gossip",
                                         "--without-mingle"])
        wait_for(lambda: celery_ping(env, worker), 120, f"`celery inspect ping` to {worker}",
                 services, interval=2)

        result = dag_test(env, dag_id="cchc_monthly_exports", logical_date="2020-03-01",
                          use_executor=True)
        assert result["state"] == "success", result["output"][-4000:] + services.tail("celery-worker")
    finally:
        services.stop()

    (ti,) = sql(airflow_postgres_dsn, """
        select task_id, state, queue, hostname, pool, try_number from task_instance
        where run_id = %s""", (result["run_id"],))
    assert ti[:3] == ("load_exports", "success", queue)
    assert ti[3], "no worker hostname recorded"
    assert ti[4:] == ("duckdb_writer", 1)
    with warehouse.connect(env["CCHC_WAREHOUSE"], read_only=True) as con:
        loaded = con.execute(
            "select count(*) from (select source_row from raw.export_dossiers "
            "union all select source_row from raw.export_quarantine)").fetchone()[0]
    assert loaded == sum(sample_rows_per_agency_month([month]).values())
