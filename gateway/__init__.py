"""The gateway: one Starlette app that mounts the four API front ends, its CLI and config."""
