"""A clear error for what the local runtime does not have, instead of an AttributeError mid-run.

`DynamicFrame`, `GlueContext` and friends end their lookups here: asking for a member that the AWS
Glue PySpark reference documents but this runtime lacks (or one that does not exist at all) raises
`GlueNotImplementedError` naming the member and the reference page. It is also an AttributeError, so
`hasattr()` and `getattr(obj, name, default)` keep working.
"""

from __future__ import annotations

REFERENCE = "https://docs.aws.amazon.com/glue/latest/dg/"
PAGES = {
    "DynamicFrame": REFERENCE + "aws-glue-api-crawler-pyspark-extensions-dynamic-frame.html",
    "DynamicFrameCollection": REFERENCE
    + "aws-glue-api-crawler-pyspark-extensions-dynamic-frame-collection.html",
    "DynamicFrameReader": REFERENCE + "aws-glue-api-crawler-pyspark-extensions-dynamic-frame-reader.html",
    "DynamicFrameWriter": REFERENCE + "aws-glue-api-crawler-pyspark-extensions-dynamic-frame-writer.html",
    "GlueContext": REFERENCE + "aws-glue-api-crawler-pyspark-extensions-glue-context.html",
    "DataSink": REFERENCE + "aws-glue-api-crawler-pyspark-extensions-types.html",
    "DataSource": REFERENCE + "aws-glue-api-crawler-pyspark-extensions-types.html",
    "Job": REFERENCE + "aws-glue-api-crawler-pyspark-extensions-job.html",
    "transforms": REFERENCE + "aws-glue-api-crawler-pyspark-transforms.html",
}


class GlueNotImplementedError(NotImplementedError, AttributeError):
    """A documented (or unknown) member the local awsglue runtime does not provide."""


def missing(owner: str, name: str) -> GlueNotImplementedError:
    page = PAGES.get(owner, REFERENCE + "aws-glue-programming-python.html")
    return GlueNotImplementedError(
        f"{owner}.{name} is not implemented by the local awsglue runtime (awstwin). "
        f"Reference: {page}. Use what that page documents, or convert with toDF() and use Spark."
    )


class GlueImportError(NotImplementedError):
    """`from awsglue.transforms import X` for an X the runtime lacks (an AttributeError there would
    become a bare ImportError and lose the message)."""


def missing_from_module(owner: str, name: str) -> GlueImportError:
    return GlueImportError(str(missing(owner, name)))


class Guarded:
    """Mixin: unknown public members raise GlueNotImplementedError (private ones stay AttributeError)."""

    _glue_owner = ""

    def __getattr__(self, name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(name)
        raise missing(self._glue_owner or type(self).__name__, name)
