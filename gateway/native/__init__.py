"""The CloudStack-style native API front end: ``/client/api?command=...``, HMAC-SHA1
signatures or login sessions, JSON and XML envelopes, async jobs (``../shared/specs/native.md``).
"""
