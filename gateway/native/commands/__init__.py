"""The native commands, one module per area (VMs, volumes, security groups …)."""
