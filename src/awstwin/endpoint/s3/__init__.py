"""Amazon S3, locally, over plain files: every object is the file `<state>/s3/<bucket>/<key>`.

That layout is the point: Spark and DuckDB read and write those files directly, and the objects
survive a restart. `store.py` keeps objects and their metadata; `responses.py` speaks the REST-XML
protocol.
"""

from __future__ import annotations

from awstwin.endpoint.context import EndpointContext


def build(ctx: EndpointContext):  # noqa: ANN201 - returns the WSGI app
    from awstwin.endpoint.s3.responses import S3App
    from awstwin.endpoint.s3.store import ObjectStore

    assert ctx.s3_root is not None
    store = ObjectStore(ctx.s3_root, ctx.state_dir / "s3meta")
    ctx.backends["s3"] = store
    return S3App(store, ctx.settings.region)
