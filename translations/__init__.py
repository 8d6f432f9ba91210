"""Tables between core's vocabulary and each API's: pure data, no I/O, no imports of ``gateway``."""
