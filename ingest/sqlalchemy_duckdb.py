"""SQLAlchemy dialect `duckdb+cchc`: duckdb-engine that can list a table's columns.

duckdb-engine reflects columns with SQLAlchemy's PostgreSQL query against DuckDB's
`pg_catalog`. Since SQLAlchemy 2.0.45 that query reads `pg_catalog.pg_collation`
(`collnamespace`, `json_build_object`), which DuckDB does not provide, so
`inspect(engine).get_columns(...)` fails and Superset cannot add a dataset
(Mause/duckdb_engine#1379, #1391; the fix, Mause/duckdb_engine#1393, is not released; DuckDB's
own stub view, duckdb/duckdb#22160, lacks `collnamespace`). DuckDB keeps no per-column
collation in `pg_catalog`, so this dialect reports none, as that fix does; everything else is
duckdb-engine's. Nothing is created in the database, so it works on the read-only serving copy.

Registered by `pyproject.toml` (entry point `sqlalchemy.dialects`: `duckdb.cchc`), so with this
package installed the URI is `duckdb+cchc:////ABS/PATH/warehouse/serving/cchc.duckdb?access_mode=read_only`.
"""

from __future__ import annotations

from typing import Any

from duckdb_engine import Dialect as DuckDBDialect
from sqlalchemy import sql
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlalchemy.dialects.postgresql import base as pg_base

# SQLAlchemy 2.1 passes a loader of named types to `_get_columns_info`, 2.0 passes
# (domains, enums); duckdb-engine 0.17 only knows the second form.
_NamedTypeLoader = getattr(pg_base, "_NamedTypeLoader", None)


class _ServingCompiler(DuckDBDialect.statement_compiler):
    def visit_cast(self, cast: Any, **kw: Any) -> str:
        # DuckDB has no `regclass`. PostgreSQL's reflection casts a catalog's name to it only
        # to match comments on constraints, which DuckDB does not keep: match none.
        if isinstance(cast.type, REGCLASS):
            return "CAST(NULL AS BIGINT)"
        return super().visit_cast(cast, **kw)


class ServingDuckDBDialect(DuckDBDialect):
    """duckdb-engine with column reflection that does not query `pg_collation`."""

    name = "duckdb"
    driver = "cchc"
    supports_statement_cache = False  # as duckdb-engine's own dialect
    statement_compiler = _ServingCompiler

    def _columns_query(self, schema: Any, has_filter_names: bool, scope: Any, kind: Any) -> Any:
        query = super()._columns_query(schema, has_filter_names, scope, kind)
        columns = [
            sql.null().label("collation") if column.name == "collation" else column
            for column in query.selected_columns
        ]
        return query.with_only_columns(*columns, maintain_column_froms=False)

    def get_multi_columns(self, connection: Any, schema: Any = None, filter_names: Any = None,
                          scope: Any = None, kind: Any = None, **kw: Any) -> Any:
        if _NamedTypeLoader is None:  # SQLAlchemy 2.0: duckdb-engine's own works
            return super().get_multi_columns(connection, schema, filter_names, scope, kind, **kw)
        has_filter_names, params = self._prepare_filter_names(filter_names)
        query = self._columns_query(schema, has_filter_names, scope, kind)
        # read all rows first: duckdb-engine runs every query of a connection on one cursor
        rows = list(connection.execute(query, params).mappings())
        return self._get_columns_info(rows, _NoDomainsLoader(self, connection, kw), schema).items()

    def get_multi_table_options(self, connection: Any, **kw: Any) -> Any:
        # PostgreSQL's storage options (pg_inherits, tablespaces): DuckDB has none.
        return []


if _NamedTypeLoader is not None:

    class _NoDomainsLoader(_NamedTypeLoader):
        """DuckDB has no domains; enums are read from `pg_type` as PostgreSQL's are."""

        @property
        def domains(self) -> dict:
            return {}


dialect = ServingDuckDBDialect
