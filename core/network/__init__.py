"""Networking model of the core: security-group rules, addressing."""
