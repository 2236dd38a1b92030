"""A site's guests converged through the PVE API in few calls.

Reads: `/cluster/resources` once (every guest, its node, status, tags, pool; the pools), then
each managed guest's config once. Plans every guest before writing anything: a disk smaller
in the registry than on the node fails the whole plan (PVE never shrinks), naming guest, disk,
deployed and wanted size. Writes only what differs: a clone of the node's template (task
waited for), one config write guarded by the digest just read, a `resize` per grown disk (`+`
syntax), a pool move, a start or stop. Guests are fleet's when tagged `fleet`; a guest without
the tag is reported as unmanaged and left alone (an unmanaged guest at a wanted VMID with the
wanted name is adopted: it gets the tag); a managed guest no longer in the registry is listed
first and destroyed only with allow_destroy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

if __name__.startswith("ansible."):  # run by Ansible: the module_utils copies
    from ansible.module_utils import fleet_proxmox_api as api_mod
    from ansible.module_utils import fleet_proxmox_values as values
else:
    from fleet.proxmox import api as api_mod
    from fleet.proxmox import values

ApiError = api_mod.ApiError

CREATE, UPDATE, DESTROY, KEEP = "create", "update", "destroy", "kept"
# keys fleet sets on a guest's config (besides disks); others are left as PVE or people set them
MANAGED_KEYS = ("name", "cores", "memory", "net0", "onboot", "agent", "description", "tags",
                "ipconfig0", "ciuser", "sshkeys", "nameserver", "searchdomain")  # fmt: skip


class PlanError(Exception):
    """The desired state cannot be reached without losing data (a shrink, a VMID taken)."""


@dataclass
class GuestChange:
    name: str
    vmid: int
    action: str  # create | update | destroy | kept
    node: str
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    config: dict[str, str] = field(default_factory=dict)  # config keys to write
    grow: dict[str, int] = field(default_factory=dict)  # disk → bytes to add
    new_disks: dict[str, str] = field(default_factory=dict)  # disk → STORAGE:GiB
    pool: str | None = None  # move into this pool
    power: str | None = None  # start | stop
    digest: str | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {"guest": self.name, "vmid": self.vmid, "action": self.action, "node": self.node,
               "keys": sorted(set(self.before) | set(self.after))}  # fmt: skip
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class Outcome:
    changes: list[GuestChange] = field(default_factory=list)
    unmanaged: list[str] = field(default_factory=list)
    pools_created: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # what was written, in order

    @property
    def changed(self) -> bool:
        return bool(self.pools_created) or any(c.action != KEEP for c in self.changes)

    def diff(self) -> dict[str, Any]:
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for pool in self.pools_created:
            before[f"pool {pool}"] = {"state": "absent"}
            after[f"pool {pool}"] = {"state": "present"}
        for c in self.changes:
            if c.action == CREATE:
                before[c.name] = {"state": "absent"}
                after[c.name] = {"state": "present", **c.after}
            elif c.action in (DESTROY, KEEP):
                before[c.name] = {"state": "present", **c.before}
                after[c.name] = {"state": "absent" if c.action == DESTROY else "present"}
                if c.note:
                    after[c.name]["note"] = c.note
            else:
                before[c.name], after[c.name] = dict(c.before), dict(c.after)
        return {"before": before, "after": after}

    def result(self) -> dict[str, Any]:
        return {
            "changes": [c.to_dict() for c in self.changes],
            "unmanaged": sorted(self.unmanaged),
            "stale": sorted(c.name for c in self.changes if c.action in (DESTROY, KEEP)),
            "pools_created": list(self.pools_created),
            "applied": list(self.done),
        }


# ---- desired state ------------------------------------------------------------------------


def desired_config(guest: dict[str, Any]) -> dict[str, str]:
    """The config keys fleet sets, in PVE's value forms."""
    cfg = {
        "name": guest["name"],
        "cores": str(guest["cores"]),
        "memory": str(guest["memory_mb"]),
        "net0": f"virtio,bridge={guest['bridge']},tag={guest['vlan_id']}",
        "onboot": "1" if guest.get("onboot", True) else "0",
        "agent": "1" if guest.get("agent", True) else "0",
        "description": f"{values.MARK} {guest.get('description', '')}".strip(),
        "tags": values.TAG,
    }
    if guest.get("ipconfig0"):
        cfg["ipconfig0"] = guest["ipconfig0"]
    for key in ("ciuser", "nameserver", "searchdomain"):
        if guest.get(key):
            cfg[key] = str(guest[key])
    if guest.get("sshkeys"):
        cfg["sshkeys"] = values.encode_sshkeys(guest["sshkeys"])
    return cfg


def disk_sizes(guest: dict[str, Any]) -> dict[str, int]:
    return {d["slot"]: int(d["size_gb"]) * values.UNITS["G"] for d in guest.get("disks", [])}


# ---- planning -----------------------------------------------------------------------------


def _disk_size(config: dict[str, Any], slot: str) -> int | None:
    value = config.get(slot)
    if value is None:
        return None
    size = values.props(value).get("size")
    return values.size_bytes(size) if size else 0


def plan_guest(guest: dict[str, Any], entry: dict[str, Any], config: dict[str, Any]) -> GuestChange:
    """An existing guest: what differs between its config (as read) and the registry."""
    change = GuestChange(guest["name"], int(guest["vmid"]), UPDATE, entry.get("node", ""),
                         digest=config.get("digest"))  # fmt: skip
    for key, want in desired_config(guest).items():
        have = config.get(key)
        if not values.same(key, have, want):
            if key == "net0" and have:  # keep the NIC's MAC address
                mac = values.nic(have).get("macaddr")
                data = values.nic(want)
                if mac:
                    data["macaddr"] = mac
                want = values.nic_text(data)
            if key == "tags":
                want = ";".join(sorted(values.tags(have) | values.tags(want)))
            change.config[key] = want
            change.before[key] = values.shown(key, have)
            change.after[key] = values.shown(key, want)
    storage = guest.get("storage", "local-lvm")
    for slot, wanted in disk_sizes(guest).items():
        have = _disk_size(config, slot)
        if have is None:
            change.new_disks[slot] = f"{storage}:{wanted // values.UNITS['G']}"
            change.before[slot] = None
        elif have > wanted:
            raise PlanError(
                f"guest {guest['name']} (VMID {guest['vmid']}): disk {slot} is "
                f"{values.size_text(have)} on the node and {values.size_text(wanted)} in the "
                "registry: PVE cannot shrink a disk; set the registry to "
                f"{values.size_text(have)} or more"
            )
        elif have < wanted:
            change.grow[slot] = wanted - have
            change.before[slot] = values.size_text(have)
        else:
            continue
        change.after[slot] = values.size_text(wanted)
    if guest.get("pool") and entry.get("pool") != guest["pool"]:
        change.pool = guest["pool"]
        change.before["pool"], change.after["pool"] = entry.get("pool"), guest["pool"]
    want_state = guest.get("state", "running")
    if entry.get("status") != want_state:
        change.power = "start" if want_state == "running" else "stop"
        change.before["status"], change.after["status"] = entry.get("status"), want_state
    if not change.before and not change.after:
        change.action = "ok"
    return change


def plan(
    client, guests: list[dict[str, Any]], allow_destroy: bool
) -> tuple[Outcome, dict[str, Any]]:
    """Read the cluster once and each managed guest's config once; the changes to make."""
    resources = client.get("cluster/resources")
    vms = {int(r["vmid"]): r for r in resources if r.get("type") in ("qemu", "lxc")}
    pools = {r.get("pool") for r in resources if r.get("type") == "pool"}
    outcome = Outcome()
    wanted = {int(g["vmid"]): g for g in guests}
    stale = []
    for vmid, entry in sorted(vms.items()):
        if vmid in wanted:
            continue
        if values.managed_guest(entry):
            action = DESTROY if allow_destroy else KEEP
            note = (
                "" if allow_destroy else "no longer in the registry: destroy needs --allow-destroy"
            )
            stale.append(GuestChange(entry.get("name", str(vmid)), vmid, action,
                                     entry.get("node", ""), note=note,
                                     before={"status": entry.get("status")},
                                     power="stop" if entry.get("status") == "running" else None))  # fmt: skip
        elif not entry.get("template"):
            outcome.unmanaged.append(f"{entry.get('type')}/{vmid} {entry.get('name', '')}".strip())
    outcome.changes.extend(stale)  # removals first: the plan lists them before anything else
    for pool in sorted({g["pool"] for g in guests if g.get("pool")} - pools):
        outcome.pools_created.append(pool)
    problems = []
    for vmid, guest in sorted(wanted.items()):
        entry = vms.get(vmid)
        if entry is None:
            outcome.changes.append(_create(guest))
            continue
        if entry.get("template") or (
            not values.managed_guest(entry) and entry.get("name") != guest["name"]
        ):
            problems.append(
                f"guest {guest['name']}: VMID {vmid} is taken by an unmanaged "
                f"{'template' if entry.get('template') else 'guest'} "
                f"{entry.get('name', '')!r} on {entry.get('node')}: fleet leaves it alone"
            )
            continue
        if entry.get("node") != guest["node"]:
            problems.append(
                f"guest {guest['name']} (VMID {vmid}) runs on {entry.get('node')}, the registry "
                f"says {guest['node']}: migrate it by hand or fix the registry"
            )
            continue
        config = client.get(f"nodes/{entry['node']}/qemu/{vmid}/config")
        try:
            change = plan_guest(guest, entry, config)
        except PlanError as exc:
            problems.append(str(exc))
            continue
        if change.action != "ok":
            outcome.changes.append(change)
    if problems:
        raise PlanError("; ".join(problems))
    return outcome, vms


def _create(guest: dict[str, Any]) -> GuestChange:
    after = {k: values.shown(k, v) for k, v in desired_config(guest).items()}
    after.update({slot: values.size_text(n) for slot, n in disk_sizes(guest).items()})
    after["clone"] = guest["clone"]
    if guest.get("pool"):
        after["pool"] = guest["pool"]
    after["status"] = guest.get("state", "running")
    return GuestChange(guest["name"], int(guest["vmid"]), CREATE, guest["node"], after=after)


# ---- applying -----------------------------------------------------------------------------


def _power(client, node: str, vmid: int, action: str, what: str) -> None:
    upid = client.write("POST", f"nodes/{node}/qemu/{vmid}/status/{action}")
    client.wait(node, upid, what)


def _grow(client, node: str, vmid: int, grow: dict[str, int], what: str, log: list) -> None:
    for slot, amount in sorted(grow.items()):
        upid = client.write("PUT", f"nodes/{node}/qemu/{vmid}/resize", disk=slot,
                            size=f"+{values.size_text(amount)}")  # fmt: skip
        client.wait(node, upid, f"{what}: resize {slot}")
        log.append(f"{what}: {slot} grown by {values.size_text(amount)}")


def _apply_update(client, change: GuestChange, log: list) -> None:
    node, vmid, what = change.node, change.vmid, f"guest {change.name} (VMID {change.vmid})"
    settings = {**change.config, **change.new_disks}
    if settings:
        if change.digest:
            settings["digest"] = change.digest
        client.write("PUT", f"nodes/{node}/qemu/{vmid}/config", **settings)
        keys = ", ".join(sorted(change.config) + sorted(change.new_disks))
        log.append(f"{what}: config set ({keys})")
    _grow(client, node, vmid, change.grow, what, log)
    if change.pool:
        client.write("PUT", "pools", poolid=change.pool, vms=str(vmid), **{"allow-move": 1})
        log.append(f"{what}: moved to pool {change.pool}")
    if change.power:
        _power(client, node, vmid, change.power, what)
        log.append(f"{what}: {'started' if change.power == 'start' else 'stopped'}")


def _apply_create(client, guest: dict[str, Any], log: list) -> None:
    node, vmid = guest["node"], int(guest["vmid"])
    what = f"guest {guest['name']} (VMID {vmid})"
    params: dict[str, Any] = {"newid": vmid, "name": guest["name"], "full": 1,
                              "storage": guest.get("storage", "local-lvm")}  # fmt: skip
    if guest.get("pool"):
        params["pool"] = guest["pool"]
    upid = client.write("POST", f"nodes/{node}/qemu/{guest['clone']}/clone", **params)
    client.wait(node, upid, f"{what}: clone of template {guest['clone']}")
    log.append(f"{what}: cloned from template {guest['clone']}")
    config = client.get(f"nodes/{node}/qemu/{vmid}/config")
    entry = {"node": node, "status": "stopped", "pool": guest.get("pool")}
    change = plan_guest(guest, entry, config)
    _apply_update(client, change, log)


def apply(client, outcome: Outcome, guests: list[dict[str, Any]]) -> None:
    by_vmid = {int(g["vmid"]): g for g in guests}
    for pool in outcome.pools_created:
        client.write("POST", "pools", poolid=pool, comment=f"{values.MARK} site guests")
        outcome.done.append(f"pool {pool} created")
    for change in outcome.changes:
        what = f"guest {change.name} (VMID {change.vmid})"
        if change.action == DESTROY:
            if change.power == "stop":
                _power(client, change.node, change.vmid, "stop", what)
            upid = client.write("DELETE", f"nodes/{change.node}/qemu/{change.vmid}", purge=1,
                                **{"destroy-unreferenced-disks": 1})  # fmt: skip
            client.wait(change.node, upid, f"{what}: destroy")
            outcome.done.append(f"{what}: destroyed")
        elif change.action == CREATE:
            _apply_create(client, by_vmid[change.vmid], outcome.done)
        elif change.action == UPDATE:
            _apply_update(client, change, outcome.done)


def converge(client, guests: list[dict[str, Any]], allow_destroy: bool, check: bool) -> Outcome:
    outcome, _ = plan(client, guests, allow_destroy)
    if not check:
        try:
            apply(client, outcome, guests)
        except ApiError as exc:
            done = "; ".join(outcome.done) or "nothing"
            raise ApiError(f"{exc.message} (done before the failure: {done})", exc.status) from None
    return outcome
