"""Amazon Redshift Serverless and the Redshift Data API, locally, on the stack's real warehouse.

- `serverless.py`  namespaces, workgroups (their endpoint is the warehouse), GetCredentials
- `data_api.py`    the Data API's operations: statements, results, sessions, the catalog
- `runner.py`      runs statements on worker threads through the Redshift front; sessions; cancel
- `statements.py`  a statement's record and wire shapes; `results.py` typed fields, CSV, pages
- `parameters.py`  `:name` parameters; `catalog.py` ListDatabases/Schemas/Tables, DescribeTable
- `warehouse.py`   the warehouse address, logins, temporary database users
- `caller.py`      the caller's access key and the database user of its IAM identity
The warehouse itself is `awstwin.redshift` (the front) over Postgres; the endpoint only connects to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.operations import Registry
from awstwin.endpoint.protocol.models import service_model
from awstwin.endpoint.protocol.service import ServiceApp
from awstwin.endpoint.redshift.caller import WsgiApp, with_caller

if TYPE_CHECKING:
    from awstwin.endpoint.redshift.data_api import DataApiBackend
    from awstwin.endpoint.redshift.serverless import ServerlessBackend

# Both services answer a request that does not fit their model with this code.
INVALID_INPUT = "ValidationException"


@dataclass
class Redshift:
    serverless: ServerlessBackend
    data: DataApiBackend
    serverless_app: WsgiApp
    data_app: WsgiApp
    apps: tuple[ServiceApp, ServiceApp]

    def close(self) -> None:
        for app in self.apps:
            app.close()


def backend_classes() -> dict[str, tuple[type, ...]]:
    """service -> the classes whose `@handler` methods are its operations (for the actions table)."""
    from awstwin.endpoint.redshift.data_api import DataApiBackend
    from awstwin.endpoint.redshift.serverless import ServerlessBackend

    return {"redshift-serverless": (ServerlessBackend,), "redshift-data": (DataApiBackend,)}


def build(ctx: EndpointContext) -> Redshift:
    from awstwin.endpoint.redshift.data_api import DataApiBackend
    from awstwin.endpoint.redshift.runner import Runner
    from awstwin.endpoint.redshift.serverless import ServerlessBackend
    from awstwin.endpoint.redshift.warehouse import Address, Warehouse

    warehouse = Warehouse(Address.parse(ctx.settings.warehouse_endpoint))
    serverless = ServerlessBackend(ctx, warehouse)
    data = DataApiBackend(ctx, serverless, Runner(warehouse, serverless.admin_by_name))
    serverless_app = ServiceApp(
        Registry.of("redshift-serverless", service_model("redshift-serverless"), [serverless]),
        [serverless],
        invalid_input_code=INVALID_INPUT,
    )
    data_app = ServiceApp(
        Registry.of("redshift-data", service_model("redshift-data"), [data]),
        [data],
        invalid_input_code=INVALID_INPUT,
    )
    return Redshift(
        serverless, data, with_caller(serverless_app), with_caller(data_app), (serverless_app, data_app)
    )
