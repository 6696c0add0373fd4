"""Every setting in one place, read from the environment (prefix CCHC_) or `.env`.

Settings are frozen: a variant is `settings.model_copy(update={...})`, and child processes
(Airflow tasks, dbt, the GX runner) get them all through `settings.to_env()`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CCHC_", env_file=REPO_ROOT / ".env", extra="ignore", frozen=True
    )

    # The single-writer DuckDB file that dbt builds in (and the gate writes its results to):
    # staging views, reference seeds, marts, audit; a release is a copy of it.
    warehouse: Path = REPO_ROOT / "warehouse" / "cchc.duckdb"
    # The raw tables the loaders write, in their own DuckDB file so a release copies only
    # what dbt built; opened with the warehouse as catalog `raw`. Default: beside the
    # warehouse file, `<name>_raw.duckdb` (cchc.duckdb -> cchc_raw.duckdb).
    raw_warehouse: Path | None = None
    # The read-only copy analysts and BI open; replaced atomically on publish.
    serving: Path = REPO_ROOT / "warehouse" / "serving" / "cchc.duckdb"
    # landing/reports/<province>/<year>/*, landing/exports/<agency>/<yyyy-mm>/*
    landing: Path = REPO_ROOT / "data" / "samples"
    dbt_project_dir: Path = REPO_ROOT / "dbt_project"
    # Great Expectations' project folder (stored results, the Data Docs site); by
    # default beside the warehouse file, so each warehouse keeps its own.
    gx_dir: Path | None = None
    # Optional Postgres warehouse for BI, e.g. postgresql://postgres@127.0.0.1:5432/cchc
    postgres_dsn: str | None = None
    # duckdb (default), postgres (CCHC_POSTGRES_DSN) or spark (dbt_project/README.md).
    dbt_target: str = "duckdb"
    # The raw lake (ingest/lake.py): the raw tables as Parquet partitioned by province and
    # month, which the spark target reads. A folder, or an fsspec URL (e.g. s3://bucket/lake,
    # with that backend installed: s3fs). Default: `lake` beside the warehouse file.
    lake: str | None = None
    # The same lake as Spark names it, when that differs (e.g. s3a://bucket/lake).
    spark_lake: str | None = None
    # Spark's files for `method: session`: `metastore` (Derby) and `warehouse` (the
    # tables' Parquet). Default: `spark` beside the warehouse file.
    spark_dir: Path | None = None
    # Where Spark stores its tables (spark.sql.warehouse.dir), read back after a build
    # (ingest/lake.py load_spark_marts). Default: <spark_dir>/warehouse.
    spark_warehouse: str | None = None
    # Releases of the serving copy kept on disk for `cchc rollback`.
    serving_keep: int = 5
    # The read-only Postgres role BI tools log in as (docker/postgres/initdb/ creates it).
    postgres_reader_role: str = "cchc_reader"
    # How long a person's or a script's load waits for another writer to release the
    # warehouse file before it gives up (the DAGs are serialised by the duckdb_writer pool).
    lock_timeout_seconds: float = 600
    # DuckDB's memory cap for every process that opens the warehouse (loads, dbt, the gate,
    # publishing); beyond it DuckDB spills to `duckdb_temp_directory`. Units as DuckDB
    # takes them: 1GiB, 512MiB, 4GB.
    duckdb_memory_limit: str = "1GiB"
    # Where DuckDB spills. Default: `.duckdb_tmp` beside the warehouse file (same disk).
    duckdb_temp_directory: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _beside_the_warehouse(cls, data: Any) -> Any:
        """The raw file, GX's project, the lake and Spark's files default to beside the warehouse."""
        if not isinstance(data, dict):
            return data
        warehouse = Path(data.get("warehouse") or cls.model_fields["warehouse"].default)
        folder = warehouse.parent
        defaults = {"raw_warehouse": default_raw_warehouse(warehouse), "gx_dir": folder / "gx",
                    "lake": str(folder / "lake"), "spark_dir": folder / "spark",
                    "duckdb_temp_directory": folder / ".duckdb_tmp"}
        data = {**data, **{key: value for key, value in defaults.items() if data.get(key) is None}}
        if data.get("spark_warehouse") is None:
            data["spark_warehouse"] = str(Path(data["spark_dir"]) / "warehouse")
        return data

    def to_env(self) -> dict[str, str]:
        """Every setting as its CCHC_* variable (paths absolute), for child processes."""
        return {
            f"CCHC_{name.upper()}": str(value.resolve()) if isinstance(value, Path) else str(value)
            for name, value in self.model_dump().items()
            if value is not None
        }

    @property
    def duckdb_config(self) -> dict[str, str]:
        """The DuckDB settings every writer's connection opens with (`duckdb.connect(config=)`);
        dbt gets the same through the profile (CCHC_DUCKDB_* variables)."""
        return {"memory_limit": self.duckdb_memory_limit,
                "temp_directory": str(self.duckdb_temp_directory.resolve())}

    @property
    def publishes_to_postgres(self) -> bool:
        """Releases go to Postgres too when one is configured and dbt builds in DuckDB
        (on the postgres target dbt already builds the marts there)."""
        return bool(self.postgres_dsn) and self.dbt_target == "duckdb"

    @property
    def reports_landing(self) -> Path:
        return self.landing / "reports"

    @property
    def exports_landing(self) -> Path:
        return self.landing / "exports"

    @property
    def reference_dir(self) -> Path:
        """Reference data (agencies, procedures) shared by the generator and dbt seeds."""
        return self.dbt_project_dir / "seeds"


def default_raw_warehouse(warehouse: Path) -> Path:
    """The raw tables' file beside a warehouse file: cchc.duckdb -> cchc_raw.duckdb
    (dbt_project/profiles.yml derives the same when CCHC_RAW_WAREHOUSE is not set)."""
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name.removesuffix(".duckdb") + "_raw.duckdb")


def get_settings() -> Settings:
    return Settings()
