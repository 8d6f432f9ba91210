"""The OGF OCCI 1.1 and 1.2 front end.

The query interface; text/plain, text/occi and application/occi+json renderings.

It arrives with its own issue; until then nothing is mounted for it in ``gateway.app``.
"""
