"""Who the local endpoint answers: local callers by Host and Origin, and, in strict mode, SigV4.

`guard.RequestGuard` runs in front of every service (ours and moto's) and answers a refused request
itself, with an AWS-shaped error in the request's own protocol (`wire.py`):
- `hosts.py`: the `Host` (and, from browsers, `Origin`) must be one of the endpoint's own names;
  anything else is 403 with a message saying how to allow another name (DNS rebinding, foreign pages);
- `sigv4.py`: with `AWSTWIN_AUTH=sigv4`, every request must carry a SigV4 signature (header or
  presigned query) that botocore's own signer recomputes from the configured credentials.
`settings.py` reads the configuration (`AWSTWIN_ALLOWED_HOSTS`, `AWSTWIN_AUTH`, `AWSTWIN_CREDENTIALS`).
"""
