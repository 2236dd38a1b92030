"""The node and cluster objects fleet keeps on a site's Proxmox VE: node DNS and time zone,
the VLAN-aware bridge, storage definitions, fleet's own user/token/ACL, backup jobs.

Each kind is read once, compared after PVE's normalisation, and written only where it
differs. Objects fleet did not create are reported as unmanaged and left alone: storages not
in the registry, backup jobs and users without the `[fleet]` comment. A managed backup job no
longer in the registry is deleted only with allow_destroy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

if __name__.startswith("ansible."):  # run by Ansible: the module_utils copies
    from ansible.module_utils import fleet_proxmox_values as values
else:
    from fleet.proxmox import values

CREATE, UPDATE, DELETE, KEEP = "create", "update", "delete", "kept"


@dataclass
class Change:
    kind: str
    name: str
    action: str
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"

    def to_dict(self) -> dict[str, Any]:
        out = {"object": self.label, "action": self.action,
               "keys": sorted(set(self.before) | set(self.after))}  # fmt: skip
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class Outcome:
    changes: list[Change] = field(default_factory=list)
    unmanaged: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(c.action != KEEP for c in self.changes)

    def diff(self) -> dict[str, Any]:
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for c in self.changes:
            if c.action == CREATE:
                before[c.label], after[c.label] = (
                    {"state": "absent"},
                    {"state": "present", **c.after},
                )
            elif c.action in (DELETE, KEEP):
                before[c.label] = {"state": "present", **c.before}
                after[c.label] = {"state": "absent" if c.action == DELETE else "present"}
                if c.note:
                    after[c.label]["note"] = c.note
            else:
                before[c.label], after[c.label] = dict(c.before), dict(c.after)
        return {"before": before, "after": after}

    def result(self) -> dict[str, Any]:
        return {"changes": [c.to_dict() for c in self.changes],
                "unmanaged": sorted(self.unmanaged),
                "stale": sorted(c.label for c in self.changes if c.action in (DELETE, KEEP)),
                "applied": list(self.done)}  # fmt: skip


def _compare(current: dict[str, Any], wanted: dict[str, Any], same=None) -> tuple[dict, dict]:
    same = same or (lambda k, a, b: str(a if a is not None else "") == str(b))
    before, after = {}, {}
    for key, want in wanted.items():
        have = current.get(key)
        if not same(key, have, want):
            before[key], after[key] = have, want
    return before, after


# ---- node: DNS, time zone, bridge --------------------------------------------------------


def _dns_wanted(dns: dict[str, Any]) -> dict[str, str]:
    out = {"search": dns["search"]}
    for i, server in enumerate(dns.get("servers", [])[:3], 1):
        out[f"dns{i}"] = server
    return out


def _bridge_same(key: str, have: Any, want: Any) -> bool:
    if key in ("bridge_vlan_aware", "autostart"):
        return values.boolean(have if have is not None else 0) == values.boolean(want)
    return str(have if have is not None else "") == str(want)


def _bridge_wanted(bridge: dict[str, Any]) -> dict[str, Any]:
    return {"type": "bridge", "cidr": bridge["cidr"], "gateway": bridge["gateway"],
            "bridge_ports": bridge["ports"], "bridge_vlan_aware": 1 if bridge["vlan_aware"] else 0,
            "bridge_vids": bridge["vids"] if bridge["vlan_aware"] else None,
            "autostart": 1}  # fmt: skip


def node(client, node_name: str, dns: dict[str, Any] | None, timezone: str | None,
         bridge: dict[str, Any] | None, check: bool) -> Outcome:  # fmt: skip
    outcome = Outcome()
    plans = []
    if dns is not None:
        wanted = _dns_wanted(dns)
        current = client.get(f"nodes/{node_name}/dns")
        before, after = _compare(current, wanted)
        extra = {
            k: current[k] for k in ("dns1", "dns2", "dns3") if k in current and k not in wanted
        }
        for key, value in extra.items():
            before[key], after[key] = value, None
        if after:
            outcome.changes.append(Change("node-dns", node_name, UPDATE, before, after))
            plans.append(("PUT", f"nodes/{node_name}/dns", wanted, None))
    if timezone is not None:
        current = client.get(f"nodes/{node_name}/time")
        if current.get("timezone") != timezone:
            outcome.changes.append(Change("node-time", node_name, UPDATE,
                                          {"timezone": current.get("timezone")},
                                          {"timezone": timezone}))  # fmt: skip
            plans.append(("PUT", f"nodes/{node_name}/time", {"timezone": timezone}, None))
    if bridge is not None:
        ifaces = {i["iface"]: i for i in client.get(f"nodes/{node_name}/network")}
        wanted = {k: v for k, v in _bridge_wanted(bridge).items() if v is not None}
        current = ifaces.get(bridge["name"])
        if current is None:
            outcome.changes.append(Change("bridge", f"{node_name}/{bridge['name']}", CREATE,
                                          after=wanted))  # fmt: skip
            plans.append(("POST", f"nodes/{node_name}/network",
                          {"iface": bridge["name"], **wanted}, "apply"))  # fmt: skip
        else:
            before, after = _compare(current, wanted, _bridge_same)
            if after:
                outcome.changes.append(Change("bridge", f"{node_name}/{bridge['name']}", UPDATE,
                                              before, after))  # fmt: skip
                plans.append(("PUT", f"nodes/{node_name}/network/{bridge['name']}",
                              {"type": "bridge", **after}, "apply"))  # fmt: skip
    if not check:
        applied = False
        for method, path, params, then in plans:
            client.write(method, path, **params)
            outcome.done.append(f"{method} {path}")
            applied = applied or then == "apply"
        if applied:  # staged in interfaces.new: apply (a task)
            upid = client.write("PUT", f"nodes/{node_name}/network")
            client.wait(node_name, upid, f"node {node_name}: network reload")
            outcome.done.append("network applied")
    return outcome


# ---- storage definitions -----------------------------------------------------------------

FIXED = {"type", "vgname", "thinpool", "path", "server", "export", "datastore"}


def _storage_wanted(spec: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in spec.items() if k not in ("id", "prune_backups") and v is not None}
    out["content"] = ",".join(sorted(spec["content"]))
    if spec.get("prune_backups"):
        out["prune-backups"] = spec["prune_backups"]
    return out


def _storage_same(key: str, have: Any, want: Any) -> bool:
    if key == "content":
        return set(str(have or "").split(",")) == set(str(want).split(","))
    if key == "prune-backups":
        return values.props(have) == values.props(want)
    return str(have if have is not None else "") == str(want)


def storages(client, specs: list[dict[str, Any]], check: bool) -> Outcome:
    outcome = Outcome()
    current = {s["storage"]: s for s in client.get("storage")}
    wanted_ids = {s["id"] for s in specs}
    outcome.unmanaged = sorted(f"storage {sid}" for sid in current if sid not in wanted_ids)
    writes = []
    for spec in specs:
        wanted = _storage_wanted(spec)
        have = current.get(spec["id"])
        if have is None:
            outcome.changes.append(Change("storage", spec["id"], CREATE, after=wanted))
            writes.append(("POST", "storage", {"storage": spec["id"], **wanted}))
            continue
        before, after = _compare(have, wanted, _storage_same)
        fixed = sorted(k for k in after if k in FIXED)
        if fixed:
            raise values_error(f"storage {spec['id']}: {', '.join(fixed)} differ on the node "
                               f"({', '.join(f'{k}={before[k]}' for k in fixed)}) and cannot be "
                               "changed: fix the registry or recreate the storage by hand")  # fmt: skip
        if after:
            outcome.changes.append(Change("storage", spec["id"], UPDATE, before, after))
            params = {k: v for k, v in after.items()}
            writes.append(
                ("PUT", f"storage/{spec['id']}", {**params, "digest": have.get("digest")})
            )
    if not check:
        for method, path, params in writes:
            client.write(method, path, **{k: v for k, v in params.items() if v is not None})
            outcome.done.append(f"{method} {path}")
    return outcome


class ObjectError(Exception):
    pass


def values_error(message: str) -> ObjectError:
    return ObjectError(message)


# ---- automation account: user, token, ACL ------------------------------------------------


def access(
    client,
    automation: dict[str, Any],
    check: bool,
    secret_file: str | None = None,
    store: Any = None,
) -> Outcome:
    """fleet's user and privilege-separated token with their ACL entries. A token created here
    has its secret handed to `store(token_id, secret)` (the site's vault) or written to
    `secret_file` (mode 0600); it is never returned."""
    outcome = Outcome()
    user, token = automation["user"], automation["token_name"]
    full = f"{user}!{token}"
    comment = f"{values.MARK} fleet automation"
    users = {u["userid"]: u for u in client.get("access/users", full=1)}
    have_user = users.get(user)
    writes: list[tuple[str, str, dict[str, Any]]] = []
    if have_user is None:
        outcome.changes.append(Change("user", user, CREATE, after={"comment": comment}))
        writes.append(("POST", "access/users", {"userid": user, "comment": comment}))
        tokens: dict[str, Any] = {}
    else:
        if not values.marked(have_user.get("comment")):
            outcome.unmanaged.append(f"user {user}")
            raise ObjectError(f"user {user} exists without the {values.MARK} comment: fleet "
                              "does not take over an account it did not create; mark it by hand "
                              "to adopt it")  # fmt: skip
        if not values.boolean(have_user.get("enable", 1)):
            outcome.changes.append(Change("user", user, UPDATE, {"enable": 0}, {"enable": 1}))
            writes.append(("PUT", f"access/users/{user}", {"enable": 1}))
        tokens = {t["tokenid"]: t for t in have_user.get("tokens", [])}
    create_token = token not in tokens
    if create_token:
        outcome.changes.append(Change("token", full, CREATE, after={"privsep": 1}))
    elif not values.boolean(tokens[token].get("privsep", 1)):
        outcome.changes.append(Change("token", full, UPDATE, {"privsep": 0}, {"privsep": 1}))
        writes.append(("PUT", f"access/users/{user}/token/{token}", {"privsep": 1}))
    acl = client.get("access/acl")
    have = {(e["path"], e["type"], e["ugid"], e["roleid"]) for e in acl}
    for entry in automation["acl"]:
        for kind, ugid in (("user", user), ("token", full)):
            key = (entry["path"], kind, ugid, entry["role"])
            if key not in have:
                outcome.changes.append(Change("acl", f"{entry['path']} {ugid}", CREATE,
                                              after={"role": entry["role"]}))  # fmt: skip
                param = "users" if kind == "user" else "tokens"
                writes.append(("PUT", "access/acl", {"path": entry["path"],
                                                     "roles": entry["role"], param: ugid}))  # fmt: skip
    wanted = {(e["path"], e["role"]) for e in automation["acl"]}
    for path, kind, ugid, role in sorted(have):
        if ugid in (user, full) and (path, role) not in wanted:
            outcome.changes.append(Change("acl", f"{path} {ugid}", DELETE, before={"role": role}))
            param = "users" if kind == "user" else "tokens"
            writes.append(("PUT", "access/acl", {"path": path, "roles": role, param: ugid,
                                                 "delete": 1}))  # fmt: skip
    if check:
        return outcome
    # the user first, then its token, then the ACL entries that name them
    for method, path, params in [w for w in writes if w[1].startswith("access/users")]:
        client.write(method, path, **params)
        outcome.done.append(f"{method} {path}")
    if create_token:
        made = client.write("POST", f"access/users/{user}/token/{token}", privsep=1,
                            comment=comment)  # fmt: skip
        outcome.done.append(f"token {full} created")
        if store is not None:
            store(full, made.get("value", ""))
            outcome.done.append(f"token {full}: secret stored in the site's vault")
        elif secret_file:
            _write_secret(secret_file, full, made.get("value", ""))
    for method, path, params in [w for w in writes if not w[1].startswith("access/users")]:
        client.write(method, path, **params)
        outcome.done.append(f"{method} {path} {params.get('path')}")
    return outcome


def _write_secret(path: str, token_id: str, secret: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f'{{"token_id": "{token_id}", "token_secret": "{secret}"}}\n')


# ---- backup jobs -------------------------------------------------------------------------


def _job_wanted(job: dict[str, Any]) -> dict[str, Any]:
    return {"schedule": job["schedule"], "storage": job["storage"], "mode": job["mode"],
            "compress": job["compress"], "prune-backups": job["prune_backups"],
            "enabled": 1 if job.get("enabled", True) else 0, "pool": job["pool"],
            "comment": f"{values.MARK} {job['id']}"}  # fmt: skip


def _job_same(key: str, have: Any, want: Any) -> bool:
    if key == "enabled":
        return values.boolean(1 if have is None else have) == values.boolean(want)
    if key == "prune-backups":
        return values.props(have) == values.props(want)
    return str(have if have is not None else "") == str(want)


def backup_jobs(client, jobs: list[dict[str, Any]], allow_destroy: bool, check: bool) -> Outcome:
    outcome = Outcome()
    current = {j["id"]: j for j in client.get("cluster/backup")}
    wanted_ids = {j["id"] for j in jobs}
    writes: list[tuple[str, str, dict[str, Any]]] = []
    for jid, have in sorted(current.items()):
        if jid in wanted_ids:
            continue
        if values.marked(have.get("comment")):
            if allow_destroy:
                outcome.changes.append(Change("backup-job", jid, DELETE,
                                              before={"schedule": have.get("schedule")}))  # fmt: skip
                writes.append(("DELETE", f"cluster/backup/{jid}", {}))
            else:
                outcome.changes.append(Change("backup-job", jid, KEEP,
                                              before={"schedule": have.get("schedule")},
                                              note="no longer in the registry: delete needs "
                                              "--allow-destroy"))  # fmt: skip
        else:
            outcome.unmanaged.append(f"backup-job {jid}")
    outcome.changes.sort(key=lambda c: c.action not in (DELETE, KEEP))
    for job in jobs:
        wanted = _job_wanted(job)
        have = current.get(job["id"])
        if have is None:
            outcome.changes.append(Change("backup-job", job["id"], CREATE, after=wanted))
            writes.append(("POST", "cluster/backup", {"id": job["id"], **wanted}))
            continue
        if not values.marked(have.get("comment")):
            raise ObjectError(f"backup job {job['id']} exists without the {values.MARK} comment: "
                              "rename the registry's job or mark the existing one to adopt it")  # fmt: skip
        before, after = _compare(have, wanted, _job_same)
        if after:
            outcome.changes.append(Change("backup-job", job["id"], UPDATE, before, after))
            writes.append(("PUT", f"cluster/backup/{job['id']}", dict(after)))
    if not check:
        for method, path, params in writes:
            client.write(method, path, **params)
            outcome.done.append(f"{method} {path}")
    return outcome
