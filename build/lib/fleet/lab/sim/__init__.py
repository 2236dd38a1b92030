"""Stateful simulators of the APIs that cannot run here: Proxmox VE, OPNsense, opsiconfd."""
