"""Black-box conformance suite for DMTF CIMI 1.x (DSP0263, DSP8009) over HTTP, JSON and XML.

It speaks only HTTP, through its own small client, so it runs against any CIMI endpoint, ours
or another. Every URI it uses comes from the CloudEntryPoint or from the server's answers, and it
imports nothing from ``gateway``, ``core``, ``translations`` or ``tests``. How to run it:
``README.md`` here.
"""
