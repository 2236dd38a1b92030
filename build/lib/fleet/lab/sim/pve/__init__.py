"""Proxmox VE API simulator device (one node per device), built from the PVE 9.1 reference."""

from .device import PveDevice, PveFactory

factory = PveFactory()

__all__ = ["PveDevice", "PveFactory", "factory"]
