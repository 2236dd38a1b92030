"""One switch over SSH with netmiko: connect (host key checked), read the running
configuration, send configuration lines, save. Every failure becomes a `SwitchError` naming the
switch and, for a refused command, the line."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

# What the platforms print when they refuse a configuration line.
ERROR_PATTERN = (
    r"(Invalid input|% Incomplete command|% Ambiguous command|not configured"
    r"|cannot be deleted|may not be deleted|Module not present)"
)
SHOW_RUNNING = "show running-config"


class SwitchError(Exception):
    """A switch could not be read or changed; the message names it (and the line)."""


@dataclass
class Target:
    name: str  # for messages: the switch's inventory name
    platform: str  # the netmiko device type
    host: str
    port: int
    username: str
    password: str
    known_hosts: str | None = None  # None: the controller's own known_hosts
    timeout: float = 20.0
    secret: str | None = None  # the enable secret, when the login lands in user EXEC (`>`)


class Session:
    def __init__(self, target: Target):
        self.target = target
        self.conn = None

    def __enter__(self) -> Session:
        from netmiko import ConnectHandler
        from netmiko.exceptions import (
            NetmikoAuthenticationException,
            NetmikoTimeoutException,
            ReadTimeout,
        )

        t = self.target
        params = {
            "device_type": t.platform,
            "host": t.host,
            "port": t.port,
            "username": t.username,
            "password": t.password,
            "conn_timeout": t.timeout,
            "auth_timeout": t.timeout,
            "banner_timeout": t.timeout,
            "read_timeout_override": t.timeout,
            "ssh_strict": True,  # an unknown or changed host key is refused
            "allow_agent": False,
            "use_keys": False,
        }
        if t.secret:
            params["secret"] = t.secret
        if t.known_hosts:
            params.update(system_host_keys=False, alt_host_keys=True, alt_key_file=t.known_hosts)
        else:
            params.update(system_host_keys=True)
        where = f"switch {t.name} ({t.host}:{t.port})"
        try:
            self.conn = ConnectHandler(**params)
            if t.secret:
                self.conn.enable()  # a no-op when the login is privileged already
        except NetmikoAuthenticationException as exc:
            raise SwitchError(f"{where}: authentication failed ({_first(exc)})") from exc
        except (NetmikoTimeoutException, ReadTimeout) as exc:
            cause = exc.__cause__ or exc.__context__
            text = f"{exc} {cause or ''}"
            if any(w in text for w in ("SSHException", "TCP connection", "refused", "reset")):
                why = _first(cause) if cause else _first(exc)
                raise SwitchError(f"{where}: cannot connect: {why}") from exc
            raise SwitchError(f"{where}: no prompt or no answer: {_first(exc)}") from exc
        except Exception as exc:  # paramiko: refused connection, reset, bad host key, …
            raise SwitchError(
                f"{where}: cannot connect: {type(exc).__name__}: {_first(exc)}"
            ) from exc
        return self

    def __exit__(self, *exc_info) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):  # the session is over either way
                self.conn.disconnect()

    def _call(self, what: str, function, *args, **kwargs):
        from netmiko.exceptions import ConfigInvalidException

        try:
            return function(*args, **kwargs)
        except ConfigInvalidException as exc:
            raise SwitchError(
                f"switch {self.target.name}: the switch refused a line: {_first(exc)}"
            ) from exc
        except Exception as exc:
            raise SwitchError(
                f"switch {self.target.name}: {what} failed: {type(exc).__name__}: {_first(exc)}"
            ) from exc

    def running(self) -> str:
        text = self._call("reading the running configuration", self.conn.send_command,
                          SHOW_RUNNING, read_timeout=self.target.timeout)  # fmt: skip
        if "Invalid input" in text:
            raise SwitchError(f"switch {self.target.name}: {SHOW_RUNNING} refused: {text.strip()}")
        return text.replace("\r\n", "\n")

    def configure(self, lines: list[str]) -> str:
        """Send the lines in configuration mode; a refused line raises naming it."""
        output = self._call("configuring", self.conn.send_config_set,
                            [line.strip() for line in lines], error_pattern=ERROR_PATTERN,
                            read_timeout=self.target.timeout)  # fmt: skip
        # the host name may have changed: the prompt netmiko waits for with it
        self._call("reading the prompt", self.conn.set_base_prompt)
        return output

    def save(self) -> str:
        return self._call("write memory", self.conn.save_config)


def _first(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
