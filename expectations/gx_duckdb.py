"""The one workaround GX needs on DuckDB, kept in one place.

GX closes its SQLAlchemy connection before reading query results and DuckDB drops them,
so checks silently fail (GX issue #11579). Persisting the connection for the duckdb
dialect, as GX does for SQLite, makes results correct. It patches a private name of
great_expectations 1.x: tests/expectations/test_gx_duckdb.py is pinned to the GX version
this was checked against and fails loudly on an upgrade, until someone re-checks the
issue and moves the pin (or deletes this module).
"""

from __future__ import annotations

from great_expectations.execution_engine import sqlalchemy_execution_engine as gx_sql_engine

CHECKED_WITH_GX = "1.24.1"


class _DuckDBDialect(str):
    """Stands in for a GXSqlDialect member: GX only reads `.value` and compares by name."""

    value = "duckdb"


def persist_duckdb_connections() -> None:
    """Make GX keep one connection open for the duckdb dialect (idempotent)."""
    if "duckdb" not in gx_sql_engine._PERSISTED_CONNECTION_DIALECTS:
        gx_sql_engine._PERSISTED_CONNECTION_DIALECTS = (
            *gx_sql_engine._PERSISTED_CONNECTION_DIALECTS,
            _DuckDBDialect("duckdb"),
        )
