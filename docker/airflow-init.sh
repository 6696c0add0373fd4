#!/usr/bin/env bash
# One-shot set-up for the docker compose stack (service `airflow-init`).
#
# Runs as root through the image's /entrypoint, which first waits for the metadata
# database and puts Airflow on root's PYTHONPATH. It:
#   1. creates the folders the volumes hold (logs, config, warehouse, landing),
#   2. optionally seeds an empty landing volume with the sample data baked in the image,
#   3. migrates the Airflow metadata database,
#   4. creates the pool that serialises every DuckDB writer (`duckdb_writer`, 1 slot),
#   5. writes the admin's password for the SimpleAuthManager,
#   6. hands every volume to AIRFLOW_UID:0, as Airflow's official compose file does.
# Safe to rerun: every step is idempotent. Any failure stops the stack from starting
# (the other services wait for this job with `service_completed_successfully`).
set -euo pipefail

: "${AIRFLOW_UID:?AIRFLOW_UID is not set: copy .env.example to .env (on Linux: id -u)}"
: "${_AIRFLOW_WWW_USER_USERNAME:?_AIRFLOW_WWW_USER_USERNAME is not set}"
: "${_AIRFLOW_WWW_USER_PASSWORD:?_AIRFLOW_WWW_USER_PASSWORD is not set}"
: "${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?the passwords file is not configured}"
: "${CCHC_WAREHOUSE:?CCHC_WAREHOUSE is not set (the image sets it)}"
: "${CCHC_SERVING:?CCHC_SERVING is not set (the image sets it)}"
: "${CCHC_LANDING:?CCHC_LANDING is not set (the image sets it)}"

AIRFLOW_HOME="${AIRFLOW_HOME:-/opt/airflow}"
SAMPLES_DIR="${AIRFLOW_HOME}/samples"
warehouse_dir="$(dirname "${CCHC_WAREHOUSE}")"
serving_dir="$(dirname "${CCHC_SERVING}")"
passwords_file="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE}"
config_dir="$(dirname "${passwords_file}")"

echo "Airflow $(airflow version), running as $(id -u):$(id -g)"

echo "Creating folders"
mkdir -p "${AIRFLOW_HOME}/logs" "${config_dir}" "${warehouse_dir}" "${serving_dir}" \
    "${CCHC_LANDING}/reports" "${CCHC_LANDING}/exports"

if [[ "${CCHC_SEED_SAMPLES:-false}" == "true" ]]; then
    if [[ -z "$(find "${CCHC_LANDING}" -type f -print -quit)" ]]; then
        echo "Seeding the empty landing volume with ${SAMPLES_DIR}"
        cp -R "${SAMPLES_DIR}/." "${CCHC_LANDING}/"
    else
        echo "Landing volume already holds files: not seeding it"
    fi
fi

echo "Migrating the metadata database"
airflow db migrate

echo "Pool for the single DuckDB writer"
airflow pools set duckdb_writer 1 "single DuckDB writer"

echo "Admin user '${_AIRFLOW_WWW_USER_USERNAME}' for the SimpleAuthManager"
# The SimpleAuthManager reads {"user": "password"} from this file and only generates a
# random password for users that are missing from it.
python - "${passwords_file}" <<'PY'
import json
import os
import sys

path = sys.argv[1]
user = os.environ["_AIRFLOW_WWW_USER_USERNAME"]
password = os.environ["_AIRFLOW_WWW_USER_PASSWORD"]
passwords = {}
if os.path.exists(path):
    with open(path) as handle:
        passwords = json.loads(handle.read().strip() or "{}")
passwords[user] = password
with open(path, "w") as handle:
    handle.write(json.dumps(passwords) + "\n")
PY

echo "Handing the volumes to ${AIRFLOW_UID}:0"
chown -R "${AIRFLOW_UID}:0" "${AIRFLOW_HOME}/logs" "${config_dir}" "${warehouse_dir}" "${CCHC_LANDING}"
chmod -R g+rwX "${AIRFLOW_HOME}/logs" "${warehouse_dir}" "${CCHC_LANDING}"
chmod 0600 "${passwords_file}"

echo "airflow-init done"
