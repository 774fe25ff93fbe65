"""One botocore data loader per process, shared by every boto3 Session in it.

botocore reads its JSON data (the endpoints file, ~1 MB, service models, paginators, the list of
services) once per Session: the Loader and its cache belong to the Session. The clients of one Session
share them; code that makes a Session per client (the Amazon provider's hooks do, and each Glue
sensor poke asks for a client) decodes the same files again each time: in a `make run`, about 3 s of
the DAG process's CPU. With `share()`, every Session created afterwards in this process gets the one
Loader for its data path (botocore.loaders.create_loader, cached by that path), as the clients of one
Session already do. The files are botocore's own and do not change while the process runs.

Only for processes that are clients and nothing else (the DAG's process, `make up`'s scheduler and the
tasks it forks): botocore adjusts the loaded models in place for its clients (an S3 client's first call
strips `/{Bucket}` from every operation's requestUri), so the endpoint, which reads the same models to
serve requests, keeps a Loader per Session (with a shared one, CreateBucket found no route: 501).
"""

from __future__ import annotations

import functools

import botocore.loaders
import botocore.session

_shared_loader = functools.cache(botocore.loaders.create_loader)


def share() -> None:
    """From now on, new botocore Sessions in this process share one Loader per data path."""
    botocore.session.create_loader = _shared_loader  # type: ignore[attr-defined]


def shared() -> bool:
    return botocore.session.create_loader is _shared_loader  # type: ignore[attr-defined]
