"""Amazon S3, locally, over plain files: every object is the file `<state>/s3/<bucket>/<key>`.

That layout is the point: Spark and DuckDB read and write those files directly, and the objects
survive a restart. Where things live:
- `store.py`: buckets and objects on the tree (and what a file tree cannot hold: see its docstring);
  `keys.py` (names -> paths), `sidecar.py` (metadata), `listing.py` (S3 key order),
  `folders.py` (a folder's sorted entries, cached while unchanged),
  `multipart.py` (uploads in progress), `checksums.py`, `chunked.py` (aws-chunked bodies);
- `responses.py`: addressing and dispatch; `protocol.py`: botocore's model -> routes, input, XML;
  `xml_text.py`: an output shape written as XML text;
- `api_*.py` / `operations.py`: one handler per operation, named as botocore names it;
- `exceptions.py`: every error, with AWS's code and status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from awstwin.endpoint.context import EndpointContext

if TYPE_CHECKING:
    from awstwin.endpoint.s3.responses import S3App


def build(ctx: EndpointContext) -> S3App:
    from awstwin.endpoint.s3.responses import S3App
    from awstwin.endpoint.s3.store import ObjectStore

    assert ctx.s3_root is not None
    store = ObjectStore(ctx.s3_root, ctx.state_dir / "s3meta")
    return S3App(store, ctx.settings.region)
