"""Black-box conformance suite for the Apache CloudStack native query API (``/client/api``).

It speaks only HTTP, through its own small client (``client.py``: CloudStack's HMAC-SHA1
signing reimplemented from the protocol description, not borrowed from the gateway), so it runs
against any CloudStack-compatible endpoint, ours or a real CloudStack. It imports nothing from
``gateway``, ``core``, ``translations`` or ``tests``. How to run it: ``README.md`` here.
"""
