"""S3's REST-XML wire protocol over the file-backed `ObjectStore`."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from awstwin.endpoint.s3.store import ObjectStore


class S3App:
    def __init__(self, store: ObjectStore):
        self.store = store

    def __call__(self, environ, start_response):  # noqa: ANN001, ANN204
        return Response("not implemented", status=501)(environ, start_response)

    def handle(self, request: Request) -> Response:
        return Response("not implemented", status=501)
