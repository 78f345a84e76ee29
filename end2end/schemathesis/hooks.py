"""Hooks for the schemathesis run in scripts/test.sh.

Clients of this API mint a fresh Idempotency-Key for each request they mean
(and resend it only with the same body). The fuzzer would otherwise reuse
short keys like "0" across different bodies, which the API rightly refuses
with 422 (the Idempotency-Key draft's answer to a key reused for another
request), hiding what each case was meant to test.
"""

import uuid

import schemathesis


@schemathesis.hook
def map_headers(ctx, headers):
    if headers is not None and "Idempotency-Key" in headers:
        headers["Idempotency-Key"] = str(uuid.uuid4())
    return headers
