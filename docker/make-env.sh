#!/usr/bin/env bash
# Write .env from .env.example, filling every empty value with a fresh random secret
# (a real Fernet key for AIRFLOW__CORE__FERNET_KEY) and AIRFLOW_UID with `id -u`
# (50000, the image's airflow user, when run as root: Airflow should not run as root).
#
#   bash docker/make-env.sh            # writes ./.env, refuses to overwrite it
#   bash docker/make-env.sh OUT        # writes OUT instead (OUT=- prints to stdout)
#
# Needs only python3 (standard library).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
example="${here}/.env.example"
out="${1:-${here}/.env}"

if [[ "${out}" != "-" && -e "${out}" ]]; then
    echo "${out} already exists: not overwriting it" >&2
    exit 1
fi

uid="$(id -u)"
if [[ "${uid}" == "0" ]]; then
    uid=50000
fi

render() {
    AIRFLOW_UID_VALUE="${uid}" python3 - "${example}" <<'PY'
import base64
import os
import re
import secrets
import sys

line_re = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")
for line in open(sys.argv[1], encoding="utf-8").read().splitlines():
    match = line_re.match(line)
    if match:
        key, value = match["key"], match["value"]
        if key == "AIRFLOW_UID":
            value = os.environ["AIRFLOW_UID_VALUE"]
        elif value == "" and key == "AIRFLOW__CORE__FERNET_KEY":
            value = base64.urlsafe_b64encode(os.urandom(32)).decode()
        elif value == "":
            value = secrets.token_urlsafe(24)
        line = f"{key}={value}"
    print(line)
PY
}

if [[ "${out}" == "-" ]]; then
    render
else
    (umask 077 && render > "${out}")
    echo "wrote ${out} (keep it out of git)" >&2
fi
