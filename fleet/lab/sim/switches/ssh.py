"""The SSH side of a simulated switch: fakenos's TCP server base and paramiko server interface,
with a shell of our own that talks to a `device.Switch` straight on the SSH channel.

Why not fakenos's own shell: its stock devices are fixed text (no configuration mode on
hp_procurve, no running configuration that commands change) and its channel tap echoes one
byte every 10 ms (a 180-line deploy would take a minute per switch); docs/decisions.md.

Faults, per connection (`Faults`): `down` closes the connection at once, `auth` refuses the
password, `hang` authenticates and then never shows a prompt.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable

import paramiko
from fakenos.core.servers import TCPServerBase
from fakenos.plugins.servers.ssh_server_paramiko import ParamikoSshServerInterface

from fleet.lab.sim.switches.device import CommandError, Switch

log = logging.getLogger(__name__)
PROCURVE_BANNER = (
    "HP J9729A 2930F-48G Switch\r\n"
    "Copyright (C) 1991-2017 Hewlett Packard Enterprise Development LP\r\n\r\n"
)
IOS_CONFIG_INTRO = "Enter configuration commands, one per line.  End with CNTL/Z."
REFUSED_PASSWORD = "\0refused"  # no client can send it: every login fails


class Shell:
    """One CLI session on one switch."""

    def __init__(self, device: Switch, channel: paramiko.Channel, on_save: Callable[[], None],
                 running: threading.Event):  # fmt: skip
        self.device = device
        self.channel = channel
        self.on_save = on_save
        self.running = running
        self.mode = "exec"  # exec | config
        self.context: tuple[str, str] | None = None
        self.confirm_logout = False

    # ------------------------------------------------------------ prompt and output

    def prompt(self) -> str:
        host = self.device.hostname
        if self.mode == "exec":
            return f"{host}#"
        if self.context is None:
            return f"{host}(config)#"
        kind, value = self.context
        if self.device.platform == "hp_procurve":
            return f"{host}({'vlan-' + value if kind == 'vlan' else 'eth-' + value})#"
        return f"{host}(config-{ {'vlan': 'vlan', 'interface': 'if', 'svi': 'if'}[kind] })#"

    def send(self, text: str) -> None:
        self.channel.sendall(text.replace("\r\n", "\n").replace("\n", "\r\n").encode())

    # ------------------------------------------------------------ the loop

    def run(self) -> None:
        if self.device.platform == "hp_procurve":
            self.send(PROCURVE_BANNER)
        self.send("\n" + self.prompt())
        buffer = b""
        skip_lf = False
        self.channel.settimeout(0.5)
        while self.running.is_set() and not self.channel.closed:
            try:
                data = self.channel.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            echo = bytearray()  # echoed once per chunk or line, not once per byte
            for byte in data:
                char = bytes([byte])
                if char == b"\n" and skip_lf:
                    skip_lf = False
                    continue
                skip_lf = char == b"\r"
                if char in (b"\r", b"\n"):
                    self.channel.sendall(bytes(echo) + b"\r\n")
                    echo.clear()
                    line = buffer.decode("utf-8", errors="replace")
                    buffer = b""
                    if not self.line(line):
                        return
                else:
                    echo += char
                    buffer += char
            if echo:
                self.channel.sendall(bytes(echo))

    def line(self, raw: str) -> bool:
        """Handle one line; False ends the session."""
        line = raw.strip()
        if self.confirm_logout:
            self.confirm_logout = False
            if line.lower().startswith("y"):
                return False
            self.send(self.prompt())
            return True
        output = self.execute(line)
        if output is False:
            return False
        if output:
            self.send(output if output.endswith("\n") else output + "\n")
        if not self.confirm_logout:
            self.send(self.prompt())
        return True

    def execute(self, line: str) -> str | bool:
        device = self.device
        procurve = device.platform == "hp_procurve"
        if not line:
            return ""
        if line in ("show running-config", "show running-config all", "do show running-config"):
            return device.show_running()
        if line in ("show vlans", "show vlan", "show vlan brief"):
            return device.show_vlans()
        if line == "show version":
            return ("Image stamp: /ws/swbuildm/rel_orlando_qaoff/code/build/lvm(swbuildm_rel)\n"
                    "WC.16.10.0012\n") if procurve else "Cisco IOS Software, Version 15.2(7)E4\n"  # fmt: skip
        if line in (
            "write memory",
            "write mem",
            "do write memory",
            "copy running-config startup-config",
        ):
            device.write_memory()
            self.on_save()
            return "" if procurve else "Building configuration...\n[OK]"
        if line == "end" and self.mode == "config":
            self.mode, self.context = "exec", None
            return ""
        if self.mode == "exec":
            if line in ("enable", "no page", "terminal length 0", "terminal width 511",
                        "terminal no monitor"):  # fmt: skip
                return ""
            if line in ("configure", "configure terminal", "conf t"):
                self.mode = "config"
                return "" if procurve else IOS_CONFIG_INTRO
            if line in ("exit", "logout", "quit"):
                if procurve:
                    self.confirm_logout = True
                    self.send("Do you want to log out [y/n]? ")
                    return ""
                return False
            return f"Invalid input: {line.split()[0]}" if procurve else self._ios_marker(line)
        if line == "exit" and self.context is None:
            self.mode = "exec"
            return ""
        try:
            self.context = device.configure(self.context, line)
        except CommandError as exc:
            return str(exc) if procurve else self._ios_marker(line, str(exc))
        return ""

    @staticmethod
    def _ios_marker(line: str, message: str = "% Invalid input detected at '^' marker.") -> str:
        if "Invalid input" not in message:
            return message
        return f"{' ' * (len(line.split()[0]) + 1)}^\n{message}"


class Faults:
    """Which fault hits a device now (read from a callable, so a test can change it)."""

    def __init__(self, lookup: Callable[[str], set[str]]):
        self.lookup = lookup

    def of(self, name: str) -> set[str]:
        try:
            return self.lookup(name)
        except Exception:  # a half-written faults file: no fault rather than a dead server
            log.exception("faults of %s", name)
            return set()


class SwitchSshServer(TCPServerBase):
    """One simulated switch on one loopback address and port."""

    def __init__(self, device: Switch, address: str, port: int, username: str, password: str,
                 host_key: paramiko.PKey, faults: Faults, on_save: Callable[[], None]):  # fmt: skip
        super().__init__(address=address, port=port, timeout=0.5)
        self.device = device
        self.username = username
        self.password = password
        self.host_key = host_key
        self.faults = faults
        self.on_save = on_save

    def _bind_sockets(self) -> None:
        # fakenos sets SO_REUSEPORT, under which a clash with another process is silent: bind
        # without it, so a taken port fails loudly; port 0 takes a free one.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.settimeout(self.timeout)
        self._socket.bind((self.address, self.port))
        self.port = self._socket.getsockname()[1]

    def connection_function(self, client: socket.socket, is_running: threading.Event) -> None:
        faults = self.faults.of(self.device.name)
        if "down" in faults:
            client.close()
            return
        transport = paramiko.Transport(client)
        try:
            transport.add_server_key(self.host_key)
            password = REFUSED_PASSWORD if "auth" in faults else self.password
            interface = ParamikoSshServerInterface(
                ssh_banner=f"{self.device.name} (fleet lab switch)",
                username=self.username,
                password=password,
            )
            transport.start_server(server=interface)
            channel = transport.accept(20)
            if channel is None:
                return
            if "hang" in faults:
                while is_running.is_set() and transport.is_active():
                    time.sleep(0.2)  # never a prompt
                return
            Shell(self.device, channel, self.on_save, is_running).run()
        except (paramiko.SSHException, EOFError, OSError) as exc:
            log.info("%s: session ended: %s", self.device.name, exc)
        finally:
            transport.close()
