"""Black-box conformance suite for OGF OCCI 1.1 (GFD.183-185) over HTTP, text renderings.

It speaks only HTTP, through its own small client and its own reading of GFD.185's grammar
(``grammar.py``), so it runs against any OCCI endpoint, ours or another. It finds every location
through the query interface and imports nothing from ``gateway``, ``core``, ``translations`` or
``tests``. How to run it: ``README.md`` here.
"""
