# syntax=docker/dockerfile:1
# The project's Airflow image: Airflow's official image, extended the documented way
# (https://airflow.apache.org/docs/docker-stack/build.html) with the pinned lock file,
# the `ingest` package (and its `cchc` command), the DAGs, the dbt project and the GX
# suites. Used by every Airflow service in docker-compose.yml:
#
#   docker compose build          (or: docker build -t cchc-airflow .)
#
# The Airflow version here must equal apache-airflow in requirements.lock (a test checks it).
FROM apache/airflow:3.3.2-python3.11

# Where everything lives inside the image and the volumes (read by ingest/settings.py).
ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/airflow/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False \
    CCHC_WAREHOUSE=/opt/airflow/warehouse/cchc.duckdb \
    CCHC_SERVING=/opt/airflow/warehouse/serving/cchc.duckdb \
    CCHC_LANDING=/opt/airflow/landing \
    CCHC_DBT_PROJECT_DIR=/opt/airflow/dbt_project \
    CCHC_GX_DIR=/opt/airflow/warehouse/gx \
    CCHC_DBT_TARGET=duckdb \
    DBT_PROFILES_DIR=/opt/airflow/dbt_project \
    DBT_SEND_ANONYMOUS_USAGE_STATS=False \
    GX_ANALYTICS_ENABLED=False

# Folders that become named volumes start out owned by airflow:0 and group-writable, so
# the containers can run as any AIRFLOW_UID with group 0 (the official image's convention).
USER root
# OCR of scanned reports (ingest.reports): Tesseract with its Vietnamese model.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-vie fonts-dejavu-core \
        openjdk-17-jre-headless \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /opt/cchc-src /opt/airflow/scripts /opt/airflow/config \
        /opt/airflow/warehouse/serving /opt/airflow/landing/reports /opt/airflow/landing/exports \
    && chown -R airflow:0 /opt/cchc-src /opt/airflow/scripts /opt/airflow/config \
        /opt/airflow/warehouse /opt/airflow/landing \
    && chmod -R g+rwX /opt/cchc-src /opt/airflow/config /opt/airflow/warehouse /opt/airflow/landing
USER airflow

# 1. Third-party packages: the lock file (it includes the Celery and Postgres providers
#    the stack needs), in one resolve. Naming apache-airflow at the image's own version
#    (AIRFLOW_VERSION is set by the base image) keeps pip from changing Airflow; the check
#    after it fails the build if it did anyway.
COPY --chown=airflow:0 requirements.lock /opt/cchc-src/
RUN pip install --no-cache-dir \
        "apache-airflow==${AIRFLOW_VERSION}" \
        -r /opt/cchc-src/requirements.lock \
    && test "$(python -c 'import importlib.metadata as m; print(m.version("apache-airflow"))')" \
        = "${AIRFLOW_VERSION}"

# 2. The project itself, without dependencies (they all come from the lock above).
#    README.m[d] copies README.md when it exists (pyproject.toml names it as the readme).
COPY --chown=airflow:0 pyproject.toml README.m[d] /opt/cchc-src/
COPY --chown=airflow:0 ingest/ /opt/cchc-src/ingest/
COPY --chown=airflow:0 expectations/ /opt/cchc-src/expectations/
RUN pip install --no-cache-dir --no-deps /opt/cchc-src \
    && rm -rf /opt/cchc-src/build /opt/cchc-src/*.egg-info \
    && python -c "import ingest.settings, expectations.suites"

# 3. DAGs, dbt project, GX suites, the sample landing data (seeds an empty landing volume
#    when CCHC_SEED_SAMPLES=true) and the compose stack's init script.
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 dbt_project/ /opt/airflow/dbt_project/
COPY --chown=airflow:0 expectations/ /opt/airflow/expectations/
COPY --chown=airflow:0 data/samples/ /opt/airflow/samples/
COPY --chown=airflow:0 docker/airflow-init.sh /opt/airflow/scripts/airflow-init.sh

# dbt writes target/ and logs/ into the project folder at run time, as whichever
# AIRFLOW_UID the containers run as (always group 0).
USER root
RUN chown -R airflow:0 /opt/airflow/dags /opt/airflow/dbt_project /opt/airflow/expectations \
        /opt/airflow/samples /opt/airflow/scripts \
    && chmod -R g+rwX /opt/airflow/dbt_project /opt/airflow/expectations
USER airflow

# dbt packages are installed now, so the containers never need the network.
RUN if [ -f /opt/airflow/dbt_project/packages.yml ] \
        || [ -f /opt/airflow/dbt_project/dependencies.yml ]; then \
        dbt deps --project-dir /opt/airflow/dbt_project; \
    fi

WORKDIR /opt/airflow
