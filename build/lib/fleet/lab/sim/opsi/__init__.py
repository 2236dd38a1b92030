"""opsiconfd 4.3 simulator device (JSON-RPC on /rpc, WebDAV repository, .opsi installation)."""

from .device import OpsiDevice, factory

__all__ = ["OpsiDevice", "factory"]
