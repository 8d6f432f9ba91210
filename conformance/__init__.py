"""Black-box conformance suites, one per standard, runnable against any endpoint.

They import nothing from ``gateway`` or ``core``; the suites arrive with the front-end issues.
"""
