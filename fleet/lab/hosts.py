"""The lab's Linux hosts: one podman container per host of the lab registry.

Which hosts: the members of the inventory groups of every component reached over SSH (the
component table, fleet/components.py: the Linux hosts of a site). A host runs the image variant
its components ask for (`lab_image`: the pre-baked samba image for DCs), else the base image. Each container runs systemd, has the host's FQDN as its hostname and
publishes sshd on 127.0.0.1 only, on a port podman picks. Containers and the lab network carry
the label `io.fleet.lab=1` and the project's path, and their names start with `fleet-lab-`, so
`down` removes exactly what this project's `up` made.
"""

from __future__ import annotations

import hashlib
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleet import components
from fleet.errors import BadInput, FleetError
from fleet.lab import image, podman, procs, state
from fleet.lab.parts import LabContext, Status, group_hosts

PART = "hosts"
EXCLUDED_PART = "excluded"  # overlay entries of the hosts a sampled lab does not run
NAME_PREFIX = "fleet-lab-"
LABEL = "io.fleet.lab"
BOOT_TIMEOUT = 90.0  # seconds for a container to boot and answer on SSH
REPAIR_TIMEOUT = 15.0  # seconds an already running container gets before it is repaired


@dataclass(frozen=True)
class LabHost:
    name: str  # inventory hostname (FQDN)
    site: str | None  # UAI
    group: str  # its most specific component group (shown as its role)
    variant: str  # image variant


def ssh_groups() -> list[str]:
    return [c.group for c in components.table() if c.connection == "ssh"]


def select_hosts(inventory: dict[str, Any]) -> list[LabHost]:
    """The lab hosts an inventory (`ansible-inventory --list` shape) asks for, sorted by name."""
    hostvars = inventory.get("_meta", {}).get("hostvars", {})
    owners: dict[str, list[components.Component]] = {}
    for component in components.table():
        for name in group_hosts(inventory, component.group):
            owners.setdefault(name, []).append(component)
    chosen = []
    for name, found in sorted(owners.items()):
        if not any(c.connection == "ssh" for c in found):
            continue  # reached through an API only (firewall, switches): a simulator's device
        # the component with the fewest host selectors names the host's role (samba_dc,
        # proxmox_nodes, not linux); any component asking for an image variant gets it
        specific = min(found, key=lambda c: len(c.hosts))
        variant = next((c.lab_image for c in found if c.lab_image), "base")
        site = hostvars.get(name, {}).get("fleet_site")
        chosen.append(LabHost(name, site, specific.group, variant))
    return chosen


def project_id(project_root: Path) -> str:
    """Short stable id of a checkout, so two checkouts' labs never share container names."""
    return hashlib.sha256(str(Path(project_root).resolve()).encode()).hexdigest()[:8]


def container_name(project_root: Path, host: str) -> str:
    return f"{NAME_PREFIX}{project_id(project_root)}-{host}"


def network_name(project_root: Path) -> str:
    return f"{NAME_PREFIX}{project_id(project_root)}"


def project_labels(project_root: Path) -> dict[str, str]:
    return {LABEL: "1", f"{LABEL}.project": str(Path(project_root).resolve())}


def run_args(project_root: Path, host: LabHost, image_ref: str) -> list[str]:
    """The `podman run` arguments for one lab host (pure; tested without podman)."""
    labels = {
        **project_labels(project_root),
        f"{LABEL}.part": PART,
        f"{LABEL}.host": host.name,
        f"{LABEL}.site": host.site or "",
        f"{LABEL}.variant": host.variant,
    }
    args = ["run", "-d", "--name", container_name(project_root, host.name), "--hostname", host.name]
    for key, value in sorted(labels.items()):
        args += ["--label", f"{key}={value}"]
    args += [
        "--network",
        network_name(project_root),
        "--network-alias",
        host.name,
        # sshd on loopback only; podman picks a free port (no race with other programs)
        "--publish",
        "127.0.0.1::22",
        "--systemd=always",
        # a clean systemd halt can hang in these containers
        "--stop-timeout=5",
        "--pull=never",
        image_ref,
        "/sbin/init",
    ]
    return args


def _published_port(info: dict[str, Any]) -> int | None:
    ports = (info.get("NetworkSettings") or {}).get("Ports") or {}
    for binding in ports.get("22/tcp") or []:
        if binding.get("HostIp") == "127.0.0.1" and binding.get("HostPort"):
            return int(binding["HostPort"])
    return None


class ContainerHosts:
    """The container hosts as a lab part."""

    name = PART

    # ------------------------------------------------------------------ up
    def up(self, ctx: LabContext) -> list[Status]:
        if ctx.inventory is None:
            raise BadInput("lab up needs the lab registry's inventory")
        root = Path(ctx.project_root).resolve()
        hosts = self._sample(ctx, root, select_hosts(ctx.inventory))
        if not hosts and ctx.inventory.get("_meta", {}).get("hostvars"):
            # only API devices (firewalls, switches): the simulators are the whole lab
            ctx.say(self.name, "no container host in this lab registry")
            return []
        if not hosts:
            raise BadInput(
                "the lab registry has no host in " + ", ".join(ssh_groups()) + ": nothing to start"
            )
        # samba is built FROM base, so ensuring samba ensures base too: report base once
        variants = {h.variant for h in hosts}
        parents = {image.recipe(v).parent for v in variants} - {None}
        mirror = ctx.options.get("mirror")
        refs = {v: image.ensure_image(v, ctx.progress, mirror) for v in sorted(variants - parents)}
        refs.update({v: image.image_ref(v) for v in variants & parents})
        state.ensure_key(root)
        self._ensure_network(root)

        wanted = {h.name: h for h in hosts}
        existing = {c["Labels"].get(f"{LABEL}.host"): c for c in self._containers(root)}
        stale = []
        for host_name, container in existing.items():
            host = wanted.get(host_name)
            healthy_shape = (
                host is not None
                and container.get("State") == "running"
                and container.get("Image") == refs[host.variant]
                and container["Names"][0] == container_name(root, host_name)
            )
            if not healthy_shape:
                stale.append(container["Names"][0])
        if stale:
            ctx.say("hosts", f"removing {len(stale)} stopped or outdated container(s)")
            podman.remove_containers(stale)
            existing = {k: v for k, v in existing.items() if v["Names"][0] not in stale}

        for host in hosts:
            if host.name in existing:
                ctx.say(f"host:{host.name}", "already running")
                continue
            self._start(ctx, root, host, refs[host.variant])

        pubkey = state.public_key(root)
        ssh_hosts = {h.name: _connect(root, h, pubkey) for h in hosts}
        self._record(root, hosts, ssh_hosts, refs)

        ctx.say("hosts", "waiting for sshd on every host")
        # a container that was already running answers at once or needs repair
        health = self._wait_all(
            root, hosts, lambda h: REPAIR_TIMEOUT if h.name in existing else BOOT_TIMEOUT
        )

        broken = [h for h in hosts if not health[h][0] and h.name in existing]
        if broken:
            for host in broken:
                ctx.say(
                    f"host:{host.name}", f"sshd does not answer ({health[host][1]}): restarting ssh"
                )
                podman.exec_(
                    container_name(root, host.name),
                    ["systemctl", "restart", "ssh.service"],
                    check=False,
                    timeout=60,
                )
            health.update(self._wait_all(root, broken, lambda h: REPAIR_TIMEOUT))
            still = [h for h in broken if not health[h][0]]
            for host in still:
                ctx.say(f"host:{host.name}", "still no sshd: recreating the container")
                podman.remove_containers([container_name(root, host.name)])
                self._start(ctx, root, host, refs[host.variant])
                ssh_hosts[host.name] = _connect(root, host, pubkey)
            if still:
                self._record(root, hosts, ssh_hosts, refs)
                health.update(self._wait_all(root, still, lambda h: BOOT_TIMEOUT))

        statuses = [
            self._status(root, h, "running", ssh_hosts[h.name]["port"], ok, detail)
            for h, (ok, detail) in health.items()
        ]
        bad = [s for s in statuses if not s.healthy]
        if bad:
            raise FleetError(
                "lab hosts started but sshd does not answer on: "
                + ", ".join(f"{s.name} ({s.endpoint}: {s.detail})" for s in bad)
            )
        return sorted(statuses, key=lambda st: st.name)

    def _start(self, ctx: LabContext, root: Path, host: LabHost, ref: str) -> None:
        ctx.say(f"host:{host.name}", f"starting ({host.variant} image)")
        podman.run(run_args(root, host, ref), timeout=120)

    def _wait_all(
        self, root: Path, hosts: list[LabHost], timeout_of
    ) -> dict[LabHost, tuple[bool, str]]:
        with ThreadPoolExecutor(max_workers=min(8, len(hosts))) as pool:
            results = pool.map(lambda h: wait_ssh(root, h.name, timeout_of(h)), hosts)
            return dict(zip(hosts, results, strict=True))

    def _record(
        self,
        root: Path,
        hosts: list[LabHost],
        ssh_hosts: dict[str, dict[str, Any]],
        refs: dict[str, str],
    ) -> None:
        """Write known_hosts, ssh_config, the connection overlay and the lab state."""
        state.write_ssh_files(root, ssh_hosts)
        state.write_overlay(
            root,
            PART,
            {name: state.connection_vars(root, h["port"]) for name, h in ssh_hosts.items()},
        )
        state.save_part_state(
            root,
            PART,
            {
                "network": network_name(root),
                "hosts": {
                    h.name: {
                        "container": container_name(root, h.name),
                        "port": ssh_hosts[h.name]["port"],
                        "site": h.site,
                        "group": h.group,
                        "variant": h.variant,
                        "image": refs[h.variant],
                    }
                    for h in hosts
                },
            },
        )

    # ------------------------------------------------------------------ down
    def down(self, ctx: LabContext) -> list[str]:
        root = Path(ctx.project_root).resolve()
        removed = []
        containers = self._containers(root)
        ports = {h.get("port") for h in state.part_state(root, PART).get("hosts", {}).values()}
        for c in containers:
            ports |= {
                p.get("host_port") for p in c.get("Ports") or [] if p.get("container_port") == 22
            }
        names = [c["Names"][0] for c in containers]
        podman.remove_containers(names)
        removed += [f"container {n}" for n in names]
        # Ansible's ControlPersist ssh masters to the lab's ports would linger for a minute
        removed += [f"ssh client pid {pid}" for pid in procs.end_ssh_clients(p for p in ports if p)]
        for net in podman.networks(project_labels(root)):
            podman.run(["network", "rm", "-f", net])
            removed.append(f"network {net}")
        state.write_overlay(root, PART, None)
        state.write_overlay(root, EXCLUDED_PART, None)
        state.save_part_state(root, PART, None)
        return removed

    # ------------------------------------------------------------------ status
    def status(self, ctx: LabContext) -> list[Status]:
        root = Path(ctx.project_root).resolve()
        recorded = state.part_state(root, PART).get("hosts", {})
        running = {c["Labels"].get(f"{LABEL}.host"): c for c in self._containers(root)}
        names = sorted(set(recorded) | {n for n in running if n})

        def one(name: str) -> Status:
            rec = recorded.get(name, {})
            labels = running.get(name, {}).get("Labels", {})
            host = LabHost(
                name,
                rec.get("site") or labels.get(f"{LABEL}.site") or None,
                rec.get("group", ""),
                rec.get("variant") or labels.get(f"{LABEL}.variant", ""),
            )
            container = running.get(name)
            if container is None:
                return self._status(root, host, "missing", rec.get("port"), False, "no container")
            cstate = container.get("State", "unknown")
            port = next(
                (
                    p["host_port"]
                    for p in container.get("Ports") or []
                    if p.get("container_port") == 22
                ),
                None,
            )
            if cstate != "running":
                return self._status(root, host, "stopped", port, False, f"container {cstate}")
            if name not in recorded:
                return self._status(
                    root, host, "running", port, False, "not in lab state: run `fleet lab up`"
                )
            ok, detail = ssh_check(root, name)
            return self._status(root, host, "running", port, ok, detail)

        if not names:
            return []
        with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
            return list(pool.map(one, names))

    # ------------------------------------------------------------------ helpers
    def _sample(self, ctx: LabContext, root: Path, hosts: list[LabHost]) -> list[LabHost]:
        """The hosts of the sampled sites when the lab runs SSH hosts for some sites only (the
        lab at scale, fleet.lab.scale); the others are excluded through the overlay."""
        sample = ctx.options.get("ssh_sites")
        if sample is None:
            state.write_overlay(root, EXCLUDED_PART, None)
            return hosts
        reason = ctx.options["excluded_reason"]
        left_out = {h.name: {"fleet_excluded": reason} for h in hosts if h.site not in sample}
        state.write_overlay(root, EXCLUDED_PART, left_out or None)
        if left_out:
            ctx.say(self.name, f"{len(left_out)} host(s) excluded: {reason}")
        return [h for h in hosts if h.site in sample]

    def _containers(self, root: Path) -> list[dict[str, Any]]:
        found = podman.containers(project_labels(root))
        # belt and braces: only ever touch names this module makes
        prefix = f"{NAME_PREFIX}{project_id(root)}-"
        return [c for c in found if c.get("Names") and c["Names"][0].startswith(prefix)]

    def _ensure_network(self, root: Path) -> None:
        name = network_name(root)
        if not podman.network_exists(name):
            args = ["network", "create"]
            for key, value in sorted(project_labels(root).items()):
                args += ["--label", f"{key}={value}"]
            podman.run([*args, name])

    def _status(
        self, root: Path, host: LabHost, cstate: str, port: int | None, ok: bool, detail: str
    ) -> Status:
        return Status(
            part=PART,
            name=host.name,
            state=cstate,
            healthy=ok,
            endpoint=f"127.0.0.1:{port}" if port else None,
            site=host.site,
            kind=host.group,
            detail=detail,
            extra={
                "container": container_name(root, host.name),
                "variant": host.variant,
                "port": port,
            },
        )


def _connect(root: Path, host: LabHost, public_key: str) -> dict[str, Any]:
    """Port, host key, and the lab key authorized: what ssh needs to reach one host."""
    cname = container_name(root, host.name)
    port = _published_port(podman.inspect_container(cname) or {})
    if port is None:
        raise FleetError(f"lab host {host.name}: container {cname} publishes no SSH port")
    host_key = _wait_host_key(cname)
    _authorize(cname, public_key)
    return {"port": port, "host_key": host_key}


def _wait_host_key(container: str, timeout: float = BOOT_TIMEOUT) -> str:
    """The container's own ed25519 host key, made by its first boot (see fleet.lab.image)."""
    deadline = time.monotonic() + timeout
    while True:
        proc = podman.exec_(
            container, ["cat", "/etc/ssh/ssh_host_ed25519_key.pub"], check=False, timeout=30
        )
        if proc.returncode == 0 and proc.stdout.startswith("ssh-ed25519 "):
            return proc.stdout.strip()
        if time.monotonic() > deadline:
            raise FleetError(
                f"container {container}: no SSH host key after {timeout:.0f}s ({proc.stderr.strip()})"
            )
        time.sleep(0.3)


def _authorize(container: str, public_key: str) -> None:
    script = "umask 077; mkdir -p /root/.ssh; cat > /root/.ssh/authorized_keys"
    podman.exec_(container, ["sh", "-c", script], input=public_key + "\n")


def ssh_check(project_root: Path, host: str, timeout: float = 10) -> tuple[bool, str]:
    """Is sshd answering with the lab key and the recorded host key? (a real `ssh … true`)"""
    cmd = [
        "ssh",
        "-F",
        str(state.ssh_config_path(project_root)),
        "-o",
        "ConnectTimeout=5",
        "-o",
        "ControlMaster=no",
        "-o",
        "ControlPath=none",
        host,
        "true",
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return False, "ssh timed out"
    if proc.returncode == 0:
        return True, "sshd answers"
    lines = proc.stderr.strip().splitlines()
    return False, lines[-1] if lines else f"ssh exit {proc.returncode}"


def wait_ssh(project_root: Path, host: str, timeout: float) -> tuple[bool, str]:
    deadline = time.monotonic() + timeout
    while True:
        ok, detail = ssh_check(project_root, host)
        if ok or time.monotonic() > deadline:
            return ok, detail
        time.sleep(0.5)
