"""The warehouse: a real Postgres standing in for Amazon Redshift locally (`Warehouse`)."""

from awstwin.warehouse.errors import PortInUseError, SqlFileError, WarehouseError
from awstwin.warehouse.postgres import (
    DEFAULT_DATABASE,
    DEFAULT_PORT,
    DEFAULT_USER,
    Warehouse,
)

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_PORT",
    "DEFAULT_USER",
    "PortInUseError",
    "SqlFileError",
    "Warehouse",
    "WarehouseError",
]
