"""botocore's service models, and the protocols each service is spoken in by the SDKs still in use.

A model's `metadata.protocols` lists what the installed botocore sends. When AWS moves a service to a
newer protocol, older SDKs keep sending the old one and AWS keeps answering it, but the newer model
no longer says how: botocore 1.44.18 models Athena as rest-json only, while 1.44.8 and the AWS CLI v1
(its own botocore 1.43.62) send awsJson 1.1 with `X-Amz-Target: AmazonAthena.<Operation>`.
`EARLIER_PROTOCOLS` keeps, as data copied from those older models' metadata, what they declared;
`tests/endpoint/protocol/test_models.py` checks it against an older botocore when one is installed.
"""

from __future__ import annotations

from functools import cache

import botocore.session
from botocore.model import ServiceModel

# service -> protocol -> the metadata an earlier botocore's model gave for it
EARLIER_PROTOCOLS: dict[str, dict[str, dict[str, str]]] = {
    "athena": {"json": {"jsonVersion": "1.1", "targetPrefix": "AmazonAthena"}},
}


@cache
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def protocols(service: str) -> tuple[str, ...]:
    """Every protocol a client may speak to `service`: the installed model's, then earlier ones."""
    metadata = service_model(service).metadata
    declared = list(metadata.get("protocols") or [metadata["protocol"]])
    return tuple(declared + [p for p in EARLIER_PROTOCOLS.get(service, {}) if p not in declared])


def target_prefixes(service: str) -> tuple[str, ...]:
    """The `X-Amz-Target` / RPC v2 service names `service` answers to, from the model and earlier ones."""
    found = [service_model(service).metadata.get("targetPrefix")]
    found += [p.get("targetPrefix") for p in EARLIER_PROTOCOLS.get(service, {}).values()]
    return tuple(dict.fromkeys(p for p in found if p))


def json_version(service: str) -> str:
    """The awsJson version (`1.0` or `1.1`) a service is spoken in."""
    version = service_model(service).metadata.get("jsonVersion")
    if version:
        return version
    earlier = EARLIER_PROTOCOLS.get(service, {}).get("json", {})
    return earlier.get("jsonVersion", "1.1")
