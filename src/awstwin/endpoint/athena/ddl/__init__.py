"""Athena's Hive DDL: statements that read or change the Glue catalog, through its own API.

CREATE/DROP DATABASE, CREATE EXTERNAL TABLE, DROP TABLE/VIEW, ALTER TABLE (partitions, location,
properties, columns), MSCK REPAIR TABLE, SHOW ..., DESCRIBE. Each returns the text lines Athena
writes to `<id>.txt` and the names of its result columns. Failures read as Athena reports Hive DDL
failures (`FAILED: SemanticException [Error 10001]: Table not found db.t`).

- `tokens.py`          reading a statement (sqlglot's Hive tokenizer) and Hive's DDL failures
- `catalog_access.py`  what statements read from the catalog
- `changes.py`         statements that change the catalog (CREATE, DROP, ALTER, MSCK REPAIR)
- `show.py`            statements that read it (SHOW, DESCRIBE)
"""

from __future__ import annotations

from collections.abc import Callable

from awstwin.endpoint.athena.ddl.changes import CatalogChanges
from awstwin.endpoint.athena.ddl.show import ShowStatements
from awstwin.endpoint.athena.ddl.tokens import DdlResult, Tokens


class DdlRunner(CatalogChanges, ShowStatements):
    """Runs one DDL statement against the catalog backend (the same object Glue serves)."""

    def run(self, sql: str) -> DdlResult:
        tokens = Tokens(sql)
        for prefix, handler in self._handlers():
            if tokens.at(*prefix):
                return handler(tokens)
        raise tokens.error("cannot recognize input")

    def _handlers(self) -> list[tuple[tuple[str, ...], Callable[[Tokens], DdlResult]]]:
        return [
            (("CREATE", "DATABASE"), self.create_database),
            (("CREATE", "SCHEMA"), self.create_database),
            (("CREATE", "EXTERNAL", "TABLE"), self.create_table),
            (("CREATE", "TABLE"), self.create_table),
            (("DROP", "DATABASE"), self.drop_database),
            (("DROP", "SCHEMA"), self.drop_database),
            (("DROP", "TABLE"), self.drop_table),
            (("DROP", "VIEW"), self.drop_view),
            (("ALTER", "TABLE"), self.alter_table),
            (("MSCK", "REPAIR", "TABLE"), self.msck_repair),
            (("SHOW", "DATABASES"), self.show_databases),
            (("SHOW", "SCHEMAS"), self.show_databases),
            (("SHOW", "TABLES"), self.show_tables),
            (("SHOW", "VIEWS"), self.show_views),
            (("SHOW", "COLUMNS"), self.show_columns),
            (("SHOW", "PARTITIONS"), self.show_partitions),
            (("SHOW", "CREATE", "TABLE"), self.show_create_table),
            (("SHOW", "CREATE", "VIEW"), self.show_create_view),
            (("SHOW", "TBLPROPERTIES"), self.show_tblproperties),
            (("DESCRIBE",), self.describe),
            (("DESC",), self.describe),
        ]


__all__ = ["DdlResult", "DdlRunner"]
