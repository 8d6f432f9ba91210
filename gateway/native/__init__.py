"""The CloudStack-style native API front end.

command=..., HMAC-SHA1 signatures, JSON and XML envelopes, async jobs.

It arrives with its own issue; until then nothing is mounted for it in ``gateway.app``.
"""
