"""Static checks of the production-like stack: docker-compose.yml, Dockerfile, .env.example.

Docker has no engine on these machines, so nothing here starts a container. Instead the
compose file is parsed (YAML merge keys resolved, ${VAR} interpolated the way Compose does)
and checked against the Dockerfile, requirements.lock, .env.example and docker/; and the
Airflow environment it sets is handed to Airflow's own configuration loader, so a misspelt
option or a wrong value shows up here rather than in a container log.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from ingest.settings import Settings
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"
LOCK_FILE = ROOT / "requirements.lock"
INIT_SCRIPT = ROOT / "docker" / "airflow-init.sh"
MAKE_ENV = ROOT / "docker" / "make-env.sh"
INITDB_DIR = ROOT / "docker" / "postgres" / "initdb"
WAREHOUSE_SQL = INITDB_DIR / "10-cchc-warehouse.sql"

# Airflow service -> the command it runs (the official compose file's services).
AIRFLOW_COMMANDS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-worker": "celery worker",
    "airflow-triggerer": "triggerer",
    "flower": "celery flower",
}
ONE_SHOT = {"airflow-init", "airflow-cli"}
AIRFLOW_SERVICES = set(AIRFLOW_COMMANDS) | ONE_SHOT
LONG_RUNNING = set(AIRFLOW_COMMANDS) | {"postgres", "redis"}
REQUIRED_SERVICES = (AIRFLOW_SERVICES | LONG_RUNNING) - {"airflow-cli"}

# What each long-running service's healthcheck must run.
HEALTHCHECKS = {
    "postgres": "pg_isready",
    "redis": "redis-cli ping",
    "airflow-apiserver": "http://localhost:8080/api/v2/version",
    "airflow-scheduler": "airflow jobs check --job-type SchedulerJob",
    "airflow-dag-processor": "airflow jobs check --job-type DagProcessorJob",
    "airflow-triggerer": "airflow jobs check --job-type TriggererJob",
    "airflow-worker": ("celery --app airflow.providers.celery.executors.celery_executor.app inspect ping"),
    "flower": "http://localhost:5555/",
}

SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|_KEY$")


def is_secret(name: str) -> bool:
    """A variable that holds a secret (a path to a file of secrets does not)."""
    return bool(SECRET_NAME.search(name)) and not name.endswith("_FILE")


# Settings fields of ingest/settings.py (env prefix CCHC_).
SETTINGS_FIELDS = set(Settings.model_fields)


# ----------------------------------------------------------------------------- helpers


class MissingVariable(KeyError):
    """A ${VAR:?...} (or ${VAR}) whose variable is unset: Compose refuses to start."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err},
    ${VAR?err}, nested ${...} in defaults, and $$ for a literal $.

    Stricter than Compose in two ways: an unset ${VAR} raises instead of becoming "",
    and a bare $VAR raises (this project always writes ${VAR}).
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("${", i):
            end = _closing_brace(text, i + 1)
            out.append(_substitute(text[i + 2 : end], env))
            i = end + 1
        elif text[i] == "$":
            raise ValueError(f"bare $ in {text!r}: write ${{VAR}} (or $$ for a literal $)")
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    depth = 0
    for j in range(start, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    raise ValueError(f"unclosed ${{ in {text!r}")


def _substitute(expr: str, env: Mapping[str, str]) -> str:
    match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:-|-|:\?|\?)(.*))?", expr, re.S)
    assert match, f"not a Compose variable expression: ${{{expr}}}"
    name, op, arg = match.groups()
    value = env.get(name)
    if op is None:
        if value is None:
            raise MissingVariable(name)
        return value
    if op == ":-":
        return value if value else interpolate(arg, env)
    if op == "-":
        return value if value is not None else interpolate(arg, env)
    if op == ":?" and not value or op == "?" and value is None:
        raise MissingVariable(f"{name}: {arg}")
    return value


def variable_references(text: str) -> list[tuple[str, str | None]]:
    """(name, operator) of every ${VAR...} in a string, nested ones included; $${...} skipped."""
    refs = []
    for match in re.finditer(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:-|-|:\?|\?)?", text):
        refs.append((match.group(1), match.group(2)))
    return refs


def strings(node: Any) -> Iterator[str]:
    """Every string value in a parsed YAML document (keys are not interpolated by Compose)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def interpolate_tree(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(value, env) for value in node]
    return node


def parse_env_file(text: str) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (the subset Compose and python-dotenv agree on)."""
    values = {}
    for line in text.splitlines():
        match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", line.strip())
        if match:
            values[match.group(1)] = match.group(2)
    return values


def env_list_to_dict(environment: Any) -> dict[str, str]:
    if isinstance(environment, dict):
        return {key: "" if value is None else str(value) for key, value in environment.items()}
    return dict(item.split("=", 1) for item in environment or [])


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    logical, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    result = []
    for line in logical:
        instruction, _, args = line.partition(" ")
        result.append((instruction.upper(), args.strip()))
    return result


def dockerfile_env() -> dict[str, str]:
    env = {}
    for instruction, args in dockerfile_instructions(DOCKERFILE.read_text()):
        if instruction == "ENV":
            for pair in args.split():
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(path: Path) -> dict[str, str]:
    """name -> version of a pip requirements file made only of name==version lines."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)", line)
        assert match, f"{path.name}: not pinned with ==: {line!r}"
        pins[normalize(match.group(1))] = match.group(2)
    return pins


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The compose file as Compose sees it before interpolation (merge keys resolved)."""
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def generated_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The .env that docker/make-env.sh writes from .env.example."""
    out = tmp_path_factory.mktemp("env") / ".env"
    subprocess.run(["bash", str(MAKE_ENV), str(out)], check=True, capture_output=True, text=True)
    return parse_env_file(out.read_text())


@pytest.fixture(scope="module")
def resolved(compose: dict[str, Any], generated_env: dict[str, str]) -> dict[str, Any]:
    """The compose file after interpolation with the generated .env."""
    return interpolate_tree(compose, generated_env)


# ----------------------------------------------------------------------------- services


def test_the_services_of_the_official_stack_exist(services):
    missing = REQUIRED_SERVICES - set(services)
    assert not missing, f"docker-compose.yml lacks services: {sorted(missing)}"
    assert services["flower"].get("profiles") == ["flower"], "flower is optional (profile)"
    assert "profiles" in services["airflow-cli"], "airflow-cli only runs when asked for"
    for name in REQUIRED_SERVICES - {"flower"}:
        assert "profiles" not in services[name], f"{name} must start with `docker compose up`"


def test_airflow_services_use_one_image_built_from_the_dockerfile(services):
    images = {services[name].get("image") for name in AIRFLOW_SERVICES}
    builds = {json.dumps(services[name].get("build"), sort_keys=True) for name in AIRFLOW_SERVICES}
    assert len(images) == 1 and None not in images, f"Airflow images differ: {images}"
    assert builds == {json.dumps(".")}, f"every Airflow service must `build: .`, got {builds}"
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7.2-bookworm"
    for name in set(services) - AIRFLOW_SERVICES:
        assert "build" not in services[name], f"{name} uses a published image"


def test_each_airflow_service_runs_its_component(services):
    for name, command in AIRFLOW_COMMANDS.items():
        actual = services[name].get("command")
        actual = " ".join(actual) if isinstance(actual, list) else actual
        assert actual == command, f"{name} runs {actual!r}, expected {command!r}"
    assert services["airflow-apiserver"]["ports"] == ["${AIRFLOW_API_PORT:-8080}:8080"]


def test_long_running_services_have_healthchecks_and_restart(services):
    for name in LONG_RUNNING:
        service = services[name]
        test = service.get("healthcheck", {}).get("test")
        assert isinstance(test, list) and test[0] in {"CMD", "CMD-SHELL"} and len(test) > 1, (
            f"{name}: healthcheck.test must be [CMD|CMD-SHELL, ...], got {test!r}"
        )
        command = " ".join(test[1:])
        assert HEALTHCHECKS[name] in command, f"{name} healthcheck runs {command!r}"
        assert service.get("restart") == "always", f"{name} must restart: always"
    for name in ONE_SHOT:
        assert "healthcheck" not in services[name] and "restart" not in services[name], (
            f"{name} is a one-shot job: no healthcheck, no restart"
        )


def test_dependencies_wait_for_health_and_for_init(services):
    for name in AIRFLOW_SERVICES:
        depends = services[name].get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        for backend in ("postgres", "redis"):
            assert depends.get(backend) == {"condition": "service_healthy"}, (
                f"{name} must wait for a healthy {backend}"
            )
    for name in AIRFLOW_COMMANDS:
        assert services[name]["depends_on"].get("airflow-init") == {
            "condition": "service_completed_successfully"
        }, f"{name} must wait for airflow-init to finish"
    worker = services["airflow-worker"]["depends_on"]
    assert worker.get("airflow-apiserver") == {"condition": "service_healthy"}, (
        "the worker's tasks talk to the execution API: wait for the api-server"
    )
    assert "airflow-init" not in services["airflow-init"]["depends_on"]


def test_dependency_graph_is_sound(services):
    graph = {name: set(service.get("depends_on") or {}) for name, service in services.items()}
    for name, service in services.items():
        for target, rule in (service.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown service {target}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[target], f"{target} has no healthcheck"
            if rule["condition"] == "service_completed_successfully":
                assert target in ONE_SHOT, f"{target} is not a one-shot job"
            assert "profiles" not in services[target], f"{name} needs optional {target}"

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, f"dependency cycle: {' -> '.join((*path, node))}"
        for nxt in graph[node]:
            visit(nxt, (*path, node))

    for name in graph:
        visit(name, ())


# ----------------------------------------------------------------------------- environment


def test_celery_executor_with_redis_broker_and_postgres_metadata(resolved):
    services = resolved["services"]
    env = env_list_to_dict(services["airflow-scheduler"]["environment"])
    postgres = env_list_to_dict(services["postgres"]["environment"])
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"

    broker = urlsplit(env["AIRFLOW__CELERY__BROKER_URL"])
    assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379)

    for key, scheme in [
        ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql+psycopg2"),
        ("AIRFLOW__CELERY__RESULT_BACKEND", "db+postgresql"),
    ]:
        url = urlsplit(env[key])
        assert url.scheme == scheme, f"{key}: {url.scheme}"
        assert (url.hostname, url.port or 5432) == ("postgres", 5432), f"{key} -> {url.hostname}"
        assert url.username == postgres["POSTGRES_USER"], f"{key}: wrong user"
        assert url.password == postgres["POSTGRES_PASSWORD"], f"{key}: wrong password"
        assert url.path == "/" + postgres["POSTGRES_DB"], f"{key}: wrong database"

    api = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert (api.hostname, api.port, api.path) == ("airflow-apiserver", 8080, "/execution/")
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"].lower() == "false"
    assert env["AIRFLOW__COSMOS__ENABLE_TELEMETRY"].lower() == "false"
    dsn = urlsplit(env["CCHC_POSTGRES_DSN"])
    assert (dsn.hostname, dsn.path, dsn.username) == ("postgres", "/cchc", "cchc")
    assert dsn.password == postgres["CCHC_POSTGRES_PASSWORD"]


def test_every_airflow_service_gets_the_same_settings(resolved):
    services = resolved["services"]
    common = env_list_to_dict(resolved["x-airflow-common"]["environment"])
    for name in AIRFLOW_SERVICES:
        env = env_list_to_dict(services[name]["environment"])
        for key, value in common.items():
            assert env.get(key) == value, f"{name}: {key} differs from x-airflow-common"
    assert services["airflow-init"]["user"] == "0:0", "init chowns the volumes: runs as root"
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        assert services[name]["user"].endswith(":0"), f"{name} must run with group 0"


def test_named_volumes_are_declared_and_mounted_where_the_settings_point(compose, services):
    declared = set(compose.get("volumes") or {})
    mounts: dict[str, dict[str, str]] = {}
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            mounts.setdefault(name, {})[source] = target
    named = {source for m in mounts.values() for source in m if not source.startswith((".", "/"))}
    assert named == declared, f"used {sorted(named)} but declared {sorted(declared)}"

    image_env = dockerfile_env()
    warehouse_dir = str(Path(image_env["CCHC_WAREHOUSE"]).parent)
    assert Path(image_env["CCHC_SERVING"]).is_relative_to(warehouse_dir), (
        "the serving copy must live in the warehouse volume too"
    )
    expected = {
        "cchc-warehouse": warehouse_dir,
        "cchc-landing": image_env["CCHC_LANDING"],
        "airflow-logs": "/opt/airflow/logs",
    }
    for name in AIRFLOW_SERVICES:
        for volume, target in expected.items():
            assert mounts[name].get(volume) == target, f"{name}: {volume} not at {target}"
    assert mounts["postgres"].get("postgres-db-volume") == "/var/lib/postgresql/data"


def test_every_compose_variable_is_documented_in_env_example(compose):
    documented = set(re.findall(r"^#?\s*([A-Za-z_][A-Za-z0-9_]*)=", ENV_EXAMPLE.read_text(), re.M))
    referenced = {name for text in strings(compose) for name, _ in variable_references(text)}
    undocumented = referenced - documented
    assert not undocumented, f".env.example does not document {sorted(undocumented)}"
    settings = {"CCHC_" + field.upper() for field in SETTINGS_FIELDS}
    unused = documented - referenced - settings
    assert not unused, f".env.example documents variables nothing reads: {sorted(unused)}"


def test_env_example_explains_every_variable_and_holds_no_secret():
    lines = ENV_EXAMPLE.read_text().splitlines()
    for number, line in enumerate(lines):
        match = re.fullmatch(r"(#\s*)?([A-Za-z_][A-Za-z0-9_]*)=(.*)", line)
        if not match:
            continue
        commented, name, value = match.groups()
        assert number and lines[number - 1].startswith("#"), f"no comment above {name}"
        if is_secret(name) and not commented:
            assert value == "", f".env.example must not hold a value for {name}"


def test_no_literal_secrets_in_the_compose_file(compose):
    for name, operator in (ref for text in strings(compose) for ref in variable_references(text)):
        if is_secret(name):
            assert operator in {":?", "?"}, f"${{{name}}} must be required (:?), not defaulted"
    blocks = [("x-airflow-common", compose["x-airflow-common"])] + list(compose["services"].items())
    for name, block in blocks:
        for key, value in env_list_to_dict(block.get("environment")).items():
            if is_secret(key):
                assert re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*(:?\?[^}]*)?\}", value), (
                    f"{name}: {key} must come from .env, got {value!r}"
                )
    for text in strings(compose):
        for url_password in url_passwords(text):
            assert url_password in ("", "§"), f"literal password in {text!r}"


def url_passwords(text: str) -> Iterator[str]:
    """Password parts of scheme://user:password@host URLs, each ${...} shown as §; the
    defaults inside ${VAR:-...} are searched too."""
    masked, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            masked.append("$$")
            i += 2
        elif text.startswith("${", i):
            end = _closing_brace(text, i + 1)
            inner = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(?::?[-?](.*))?", text[i + 2 : end], re.S)
            if inner and inner.group(1):
                yield from url_passwords(inner.group(1))
            masked.append("§")
            i = end + 1
        else:
            masked.append(text[i])
            i += 1
    for match in re.finditer(r"://([^/@\s:]*):([^/@\s]*)@", "".join(masked)):
        yield match.group(2)


def test_every_secret_is_required(compose, generated_env):
    interpolate_tree(compose, generated_env)  # complete: no error
    secrets = [key for key in parse_env_file(ENV_EXAMPLE.read_text()) if is_secret(key)]
    assert len(secrets) >= 6, secrets
    for secret in secrets:
        with pytest.raises(MissingVariable, match=secret):
            interpolate_tree(compose, {**generated_env, secret: ""})


def test_make_env_fills_every_secret_with_a_usable_value(generated_env, resolved):
    from cryptography.fernet import Fernet

    for key in parse_env_file(ENV_EXAMPLE.read_text()):
        assert generated_env.get(key), f"make-env.sh left {key} empty"
    Fernet(generated_env["AIRFLOW__CORE__FERNET_KEY"].encode())  # raises if not a Fernet key
    assert generated_env["AIRFLOW_UID"] == str(os.getuid() or 50000), "never root"
    assert resolved["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]


def test_airflow_reads_the_compose_configuration(resolved, tmp_path):
    """The env var names are real Airflow options and Airflow reads the values we mean."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "_AIRFLOW"))}
    airflow_env = {
        **{k: v for k, v in dockerfile_env().items() if k.startswith("AIRFLOW__")},
        **env_list_to_dict(resolved["services"]["airflow-scheduler"]["environment"]),
    }
    env.update(airflow_env)
    env["AIRFLOW_HOME"] = str(tmp_path)
    # Load the configuration only: the full initialisation would connect to the
    # metadata database (host `postgres` exists only inside the compose network).
    env["_AIRFLOW__AS_LIBRARY"] = "1"
    script = """
import json, sys
from airflow import settings
from airflow.configuration import conf
from airflow.executors.executor_loader import ExecutorLoader
from importlib import import_module

keys = json.loads(sys.argv[1])
described = conf.configuration_description
print(json.dumps({
    "unknown": [k for k in keys if k[1] not in described.get(k[0], {}).get("options", {})],
    "executor": conf.get("core", "executor"),
    "executors": [str(e) for e in ExecutorLoader.get_executor_names()],
    "sql_alchemy_conn": conf.get("database", "sql_alchemy_conn"),
    "async_conn": settings._get_async_conn_uri_from_sync(conf.get("database", "sql_alchemy_conn")),
    "broker_url": conf.get("celery", "broker_url"),
    "result_backend": conf.get("celery", "result_backend"),
    "execution_api_server_url": conf.get("core", "execution_api_server_url"),
    "auth_manager": getattr(
        import_module(conf.get("core", "auth_manager").rpartition(".")[0]),
        conf.get("core", "auth_manager").rpartition(".")[2],
    ).__name__,
    "users": conf.get("core", "simple_auth_manager_users"),
    "fernet_key": conf.get("core", "fernet_key"),
    "jwt_secret": conf.get("api_auth", "jwt_secret"),
    "secret_key": conf.get("api", "secret_key"),
    "load_examples": conf.getboolean("core", "load_examples"),
    "paused": conf.getboolean("core", "dags_are_paused_at_creation"),
    "dags_folder": conf.get("core", "dags_folder"),
    "cosmos_telemetry": conf.getboolean("cosmos", "enable_telemetry"),
}))
"""
    keys = [key.lower().split("__")[1:] for key in airflow_env if re.fullmatch(r"AIRFLOW__\w+__\w+", key)]
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(keys)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    # Options that only a provider describes, and the providers are not in the dev venv:
    # celery's result_backend (apache-airflow-providers-celery), cosmos' enable_telemetry
    # (read by astronomer-cosmos with a fallback; checked against its source below).
    provider_only = {("celery", "result_backend"), ("cosmos", "enable_telemetry")}
    unknown = {tuple(key) for key in seen["unknown"]} - provider_only
    assert not unknown, f"not Airflow options: {sorted(unknown)}"
    # (find_spec does not import cosmos, which would initialise Airflow in this process)
    cosmos_dir = Path(importlib.util.find_spec("cosmos").origin).parent
    cosmos_source = (cosmos_dir / "settings.py").read_text()
    assert '"cosmos", "enable_telemetry"' in cosmos_source

    assert seen["executor"] == "CeleryExecutor"
    assert "CeleryExecutor" in " ".join(seen["executors"])
    assert seen["sql_alchemy_conn"] == airflow_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert urlsplit(seen["sql_alchemy_conn"]).hostname == "postgres"
    assert seen["broker_url"] == "redis://:@redis:6379/0"
    assert urlsplit(seen["result_backend"]).hostname == "postgres"
    assert seen["execution_api_server_url"] == "http://airflow-apiserver:8080/execution/"
    assert seen["auth_manager"] == "SimpleAuthManager"
    assert seen["users"].endswith(":admin")
    assert seen["fernet_key"] == airflow_env["AIRFLOW__CORE__FERNET_KEY"]
    assert seen["jwt_secret"] == airflow_env["AIRFLOW__API_AUTH__JWT_SECRET"]
    assert seen["secret_key"] == airflow_env["AIRFLOW__API__SECRET_KEY"]
    assert seen["load_examples"] is False and seen["cosmos_telemetry"] is False
    assert seen["paused"] is True
    assert seen["dags_folder"] == "/opt/airflow/dags"
    # Airflow 3 opens an async engine on the metadata database as well, with a driver it
    # derives from sql_alchemy_conn: the image must carry that driver.
    driver = urlsplit(seen["async_conn"]).scheme.split("+")[1]
    assert driver == "asyncpg" and normalize(driver) in pinned(LOCK_FILE)


# ----------------------------------------------------------------------------- image


def lock_version(package: str) -> str:
    versions = pinned(LOCK_FILE)
    return versions[normalize(package)]


def test_dockerfile_extends_the_official_image_of_the_locked_airflow():
    froms = [
        args for instruction, args in dockerfile_instructions(DOCKERFILE.read_text()) if instruction == "FROM"
    ]
    assert len(froms) == 1, f"one stage expected, got {froms}"
    match = re.fullmatch(r"apache/airflow:(\S+)-python(\d+\.\d+)", froms[0])
    assert match, f"FROM must be apache/airflow:<version>-python<x.y>, got {froms[0]!r}"
    assert match.group(1) == lock_version("apache-airflow"), (
        f"image Airflow {match.group(1)} != requirements.lock {lock_version('apache-airflow')}"
    )
    requires_python = re.search(
        r'requires-python\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text()
    ).group(1)
    assert f">={match.group(2)}" in requires_python, (
        f"image Python {match.group(2)} vs requires-python {requires_python}"
    )


def test_dockerfile_installs_the_lock_and_the_project():
    steps = dockerfile_instructions(DOCKERFILE.read_text())
    copies = {}
    for instruction, args in steps:
        if instruction == "COPY":
            parts = [p for p in args.split() if not p.startswith("--")]
            for source in parts[:-1]:
                copies[source] = parts[-1]
    installs = [args for instruction, args in steps if instruction == "RUN" and "pip install" in args]

    assert copies.get("requirements.lock")
    lock_install = next(cmd for cmd in installs if "requirements.lock" in cmd)
    assert "--no-cache-dir" in lock_install
    assert '"apache-airflow==${AIRFLOW_VERSION}"' in lock_install, "pin Airflow to the image's"
    project_install = next(cmd for cmd in installs if "--no-deps" in cmd)
    assert "/opt/cchc-src" in project_install
    assert copies.get("pyproject.toml") == "/opt/cchc-src/"
    assert copies.get("ingest/") == "/opt/cchc-src/ingest/"
    assert re.search(
        r"^COPY\s.*\bexpectations/ /opt/cchc-src/expectations/$", DOCKERFILE.read_text(), re.M
    ), "expectations/ is part of the installed package (ingest.pipeline imports it)"
    for folder in ("dags", "dbt_project", "expectations"):
        assert copies.get(f"{folder}/") == f"/opt/airflow/{folder}/", f"{folder}/ not copied"
    users = [args for instruction, args in steps if instruction == "USER"]
    assert users[-1] == "airflow", "the image must end as the airflow user"


def test_image_settings_point_inside_the_image_and_volumes():
    env = dockerfile_env()
    assert env["CCHC_WAREHOUSE"] == "/opt/airflow/warehouse/cchc.duckdb"
    assert env["CCHC_SERVING"] == "/opt/airflow/warehouse/serving/cchc.duckdb"
    assert env["CCHC_LANDING"] == "/opt/airflow/landing"
    assert env["CCHC_DBT_PROJECT_DIR"] == "/opt/airflow/dbt_project"
    assert env["CCHC_GX_DIR"] == "/opt/airflow/warehouse/gx"  # results and Data Docs, on the volume
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/airflow/dags"
    settings_source = (ROOT / "ingest" / "settings.py").read_text()
    assert 'env_prefix="CCHC_"' in settings_source
    for key in (k for k in env if k.startswith("CCHC_")):
        field = key.removeprefix("CCHC_").lower()
        assert field in SETTINGS_FIELDS and re.search(rf"^\s+{field}:", settings_source, re.M), (
            f"{key} is not a field of ingest/settings.py"
        )


def test_lock_carries_what_the_celery_and_postgres_stack_needs():
    lock = pinned(LOCK_FILE)
    for package in ("apache-airflow-providers-celery", "celery", "redis", "asyncpg"):
        assert package in lock, f"{package} missing from {LOCK_FILE.name}"


def test_dockerignore_keeps_secrets_out_and_what_the_image_needs_in():
    patterns = [
        p.strip() for p in DOCKERIGNORE.read_text().splitlines() if p.strip() and not p.startswith("#")
    ]

    def ignored(path: str) -> bool:
        parts = path.strip("/").split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        hit = False
        for pattern in patterns:
            negate = pattern.startswith("!")
            pattern = pattern.lstrip("!").strip("/")
            candidates = [pattern, pattern.removeprefix("**/")]
            matched = any(
                fnmatch.fnmatchcase(prefix, candidate)
                or (candidate != pattern and fnmatch.fnmatchcase(prefix.split("/")[-1], candidate))
                for prefix in prefixes
                for candidate in candidates
            )
            if matched:
                hit = not negate
        return hit

    for path in (".env", ".git", ".venv", "warehouse/cchc.duckdb", "dbt_project/target"):
        assert ignored(path), f"{path} must not reach the build context"
    copied = [
        source
        for instruction, args in dockerfile_instructions(DOCKERFILE.read_text())
        if instruction == "COPY"
        for source in [p for p in args.split() if not p.startswith("--")][:-1]
    ]
    for source in copied:
        assert not ignored(source.replace("[d]", "d")), f".dockerignore hides {source}"


# ----------------------------------------------------------------------------- init job


def test_init_job_migrates_creates_the_pool_and_the_admin(services):
    init = services["airflow-init"]
    assert init["command"] == ["bash", "/opt/airflow/scripts/airflow-init.sh"]
    copies = [
        args for instruction, args in dockerfile_instructions(DOCKERFILE.read_text()) if instruction == "COPY"
    ]
    assert any(
        args.endswith("docker/airflow-init.sh /opt/airflow/scripts/airflow-init.sh") for args in copies
    ), "the image must carry the init script"
    script = INIT_SCRIPT.read_text()
    subprocess.run(["bash", "-n", str(INIT_SCRIPT)], check=True)
    assert "set -euo pipefail" in script
    assert re.search(r"^airflow db migrate$", script, re.M)
    assert re.search(r'^airflow pools set duckdb_writer 1 "single DuckDB writer"$', script, re.M)
    assert "_AIRFLOW_WWW_USER_PASSWORD" in script
    env = env_list_to_dict(init["environment"])
    assert env["_AIRFLOW_WWW_USER_PASSWORD"].startswith("${_AIRFLOW_WWW_USER_PASSWORD:?")
    common = env_list_to_dict(services["airflow-apiserver"]["environment"])
    assert "_AIRFLOW_WWW_USER_PASSWORD" not in common, "only the init job sees the password"
    assert common["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"].startswith("/opt/airflow/config/"), (
        "the passwords file must be on the shared config volume"
    )
    for variable in re.findall(r"\$\{([A-Z_][A-Z0-9_]*):\?", script):
        if variable.startswith("CCHC_"):
            assert variable in dockerfile_env(), f"the image does not set {variable}"
        else:
            assert variable in env, f"airflow-init does not get {variable}"


def test_shell_helpers_parse():
    for script in (INIT_SCRIPT, MAKE_ENV):
        subprocess.run(["bash", "-n", str(script)], check=True)


def test_postgres_creates_the_warehouse_database_from_mounted_sql(services):
    postgres = services["postgres"]
    mounts = dict(v.split(":")[:2] for v in postgres["volumes"])
    source = next(s for s, t in mounts.items() if t == "/docker-entrypoint-initdb.d")
    assert (ROOT / source).resolve() == INITDB_DIR.resolve()
    sql = WAREHOUSE_SQL.read_text()
    assert re.search(r"^create database cchc\b", sql, re.M)
    assert re.search(r"^create role cchc_reader\b", sql, re.M)
    assert "grant select on tables to cchc_reader" in sql
    env = env_list_to_dict(postgres["environment"])
    for variable in re.findall(r"^\\getenv \w+ (\w+)$", sql, re.M):
        assert variable in env, f"the SQL reads {variable}, the postgres service lacks it"
    assert not re.search(r"password\s+'", sql, re.I), "no literal password in the SQL"


@pytest.mark.postgres
def test_warehouse_sql_on_a_real_postgres():
    """Run the init SQL (identifiers renamed) on the local server; the reader only reads."""
    psql = shutil.which("psql")
    if not psql:
        require_service("psql (the PostgreSQL client)", FileNotFoundError("psql not on PATH"))
    host, admin = os.environ.get("PGHOST", "127.0.0.1"), os.environ.get("PGUSER", "postgres")
    probe = subprocess.run(
        [psql, "-X", "-h", host, "-U", admin, "-d", "postgres", "-tAc", "show server_version_num"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        require_service("PostgreSQL", RuntimeError(probe.stderr.strip()))
    assert int(probe.stdout.strip()) >= 150000, "the init SQL needs PostgreSQL 15+ (\\getenv)"

    name = f"cchc_composetest_{uuid.uuid4().hex[:8]}"
    sql = re.sub(r"\bcchc_reader\b", f"{name}_reader", WAREHOUSE_SQL.read_text())
    sql = re.sub(r"\bcchc\b", name, sql)
    base_env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    base_env.pop("CCHC_READER_PASSWORD", None)

    def run(user: str, database: str, *commands: str, env: dict | None = None, stdin=None):
        args = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-U", user, "-d", database]
        args += [part for command in commands for part in ("-c", command)]
        return subprocess.run(
            args, input=stdin, capture_output=True, text=True, env={**base_env, **(env or {})}, timeout=120
        )

    try:
        assert run(admin, "postgres", f"create database {name}_airflow").returncode == 0
        secrets = {
            "CCHC_POSTGRES_PASSWORD": "w-" + uuid.uuid4().hex,
            "CCHC_READER_PASSWORD": "r-" + uuid.uuid4().hex,
            "POSTGRES_DB": f"{name}_airflow",
        }
        init = run(admin, f"{name}_airflow", env=secrets, stdin=sql)
        assert init.returncode == 0, init.stderr
        owner = {"PGPASSWORD": secrets["CCHC_POSTGRES_PASSWORD"]}
        reader = {"PGPASSWORD": secrets["CCHC_READER_PASSWORD"]}
        created = run(
            name,
            name,
            "create schema marts",
            "create table marts.fct(x int)",
            "insert into marts.fct values (1)",
            env=owner,
        )
        assert created.returncode == 0, created.stderr
        read = run(f"{name}_reader", name, "select count(*) from marts.fct", env=reader)
        assert read.returncode == 0, read.stderr
        for statement in ("insert into marts.fct values (2)", "create table public.x(i int)"):
            denied = run(
                f"{name}_reader", name, "set default_transaction_read_only = off", statement, env=reader
            )
            assert denied.returncode != 0 and "permission denied" in denied.stderr, statement
        airflow_db = run(f"{name}_reader", f"{name}_airflow", "select 1", env=reader)
        assert airflow_db.returncode != 0, "the reader must not reach Airflow's database"
        without_reader = {k: v for k, v in secrets.items() if k != "CCHC_READER_PASSWORD"}
        missing = run(admin, f"{name}_airflow", env=without_reader, stdin=sql)
        assert missing.returncode != 0 and "CCHC_READER_PASSWORD is not set" in missing.stderr
    finally:
        run(
            admin,
            "postgres",
            f"drop database if exists {name} with (force)",
            f"drop database if exists {name}_airflow with (force)",
            f"drop role if exists {name}_reader",
            f"drop role if exists {name}",
        )


def test_env_file_is_git_ignored():
    if not (ROOT / ".git").exists() or not shutil.which("git"):
        require_service("a git work tree with git on PATH", FileNotFoundError(ROOT / ".git"))
    result = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT)
    assert result.returncode == 0, ".env must be git-ignored (it holds the stack's secrets)"
