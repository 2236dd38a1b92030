"""Desired objects against what the firewall holds → the changes to make (pure).

`desired` is a list of items with the kind's managed fields (already in API terms, the marker
in place); `current` maps uuid → item as read from the API (any of its shapes). The plan holds:
- changes in the order to make them: deletions first (so the plan lists them first), then
  additions and updates in the desired order; an update carries only the fields that differ;
- `stale`: managed objects no longer desired, kept because destroying needs `allow_destroy`
  (in check mode they are changes: what `deploy --allow-destroy` would do);
- `unmanaged`: objects without the marker (reported, never touched);
- `conflicts`: desired objects that would clash with an unmanaged one on a field OPNsense keeps
  unique (nothing is written while there is one).

Each change's `before`/`after` hold the differing fields only (an addition: every field, after;
a deletion: every field, before), so a diff names the object and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

if __name__.startswith("ansible."):  # run by Ansible: the module_utils copies
    from ansible.module_utils.fleet_opnsense_kinds import Kind
    from ansible.module_utils.fleet_opnsense_values import encode
else:
    from fleet.opnsense.kinds import Kind
    from fleet.opnsense.values import encode

ADD, UPDATE, DELETE = "add", "update", "delete"


@dataclass
class Change:
    action: str  # add | update | delete
    kind: str
    name: str  # the object as people see it: "alias net_pedago"
    uuid: str | None = None  # None for an addition (until it is made)
    body: dict[str, str] = field(default_factory=dict)  # fields to send (add/update)
    before: dict[str, str] = field(default_factory=dict)
    after: dict[str, str] = field(default_factory=dict)
    identity: str = ""
    note: str = ""
    restore: dict[str, str] = field(default_factory=dict)  # the API values to put back (undo)

    def to_dict(self) -> dict[str, Any]:
        data = {"action": self.action, "kind": self.kind, "object": self.name}
        if self.uuid:
            data["uuid"] = self.uuid
        if self.note:
            data["note"] = self.note
        return data


@dataclass
class Plan:
    kind: str
    changes: list[Change] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    unmanaged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    # identity → uuid of every managed object after the plan (None: being added)
    managed: dict[str, str | None] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def diff(self) -> dict[str, dict[str, Any]]:
        return diff_of(self.changes)


def diff_of(changes: list[Change]) -> dict[str, dict[str, Any]]:
    """Ansible's diff: before/after keyed by object name, the changing fields only (an object
    added or deleted: its state, and its fields on the side where it exists)."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for change in changes:
        if change.action == ADD:
            before[change.name] = {"state": "absent"}
            after[change.name] = {"state": "present", **change.after}
        elif change.action == DELETE:
            before[change.name] = {"state": "present", **change.before}
            after[change.name] = {"state": "absent"}
            if change.note:
                after[change.name]["note"] = change.note
        else:  # an update or a move
            before[change.name] = dict(change.before)
            after[change.name] = dict(change.after)
    return {"before": before, "after": after}


def shown(kind: Kind, values: dict[str, str]) -> dict[str, Any]:
    """Values as a diff shows them: newline lists as lists of entries."""
    return {
        f: [e for e in v.split("\n") if e] if kind.fields.get(f) == "lines" else v
        for f, v in values.items()
    }


def wanted(kind: Kind, item: dict[str, Any]) -> dict[str, str]:
    """A desired item's managed fields as the API takes them."""
    return {f: encode(form, item[f]) for f, form in kind.fields.items() if f in item}


def plan(
    kind: Kind,
    desired: list[dict[str, Any]],
    current: dict[str, dict[str, Any]],
    allow_destroy: bool,
    check_mode: bool = False,
) -> Plan:
    result = Plan(kind.name)
    managed: dict[str, tuple[str, dict[str, str]]] = {}
    duplicates: list[tuple[str, dict[str, str]]] = []
    unmanaged: list[dict[str, str]] = []
    for uuid, item in current.items():
        norm = kind.normalised(item)
        if kind.managed(item):
            name = kind.identity(item)
            if name in managed:
                duplicates.append((uuid, norm))
            else:
                managed[name] = (uuid, norm)
        else:
            unmanaged.append(norm)
            result.unmanaged.append(kind.label(item))
    result.unmanaged.sort()

    deletions: list[Change] = []
    seen: set[str] = set()
    desired_names = {kind.identity(wanted(kind, item)) for item in desired}
    stale = [(n, u, v) for n, (u, v) in managed.items() if n not in desired_names]
    stale += [(kind.identity(v), u, v) for u, v in duplicates]
    for name, uuid, norm in stale:
        label = f"{kind.title} {name}"
        if allow_destroy or check_mode:
            note = (
                ""
                if allow_destroy
                else "removed from the registry: deleted by deploy --allow-destroy"
            )
            deletions.append(
                Change(
                    DELETE,
                    kind.name,
                    label,
                    uuid,
                    before=shown(kind, norm),
                    identity=name,
                    note=note,
                    restore=norm,
                )  # fmt: skip
            )
        if not allow_destroy:
            result.stale.append(label)
    result.stale.sort()

    for item in desired:
        body = wanted(kind, item)
        want = kind.normalised(body)
        name = kind.identity(body)
        if name in seen:
            continue  # the registry check refuses duplicates; never write one twice
        seen.add(name)
        label = f"{kind.title} {name}"
        if name in managed:
            uuid, have = managed[name]
            differ = [f for f in body if want[f] != have.get(f)]
            result.managed[name] = uuid
            if differ:
                result.changes.append(
                    Change(
                        UPDATE,
                        kind.name,
                        label,
                        uuid,
                        body={f: body[f] for f in differ},
                        before=shown(kind, {f: have.get(f, "") for f in differ}),
                        after=shown(kind, {f: want[f] for f in differ}),
                        identity=name,
                        restore={f: have.get(f, "") for f in differ},
                    )
                )
            continue
        for group in kind.natural:
            clash = [
                u
                for u in unmanaged
                if all(u.get(f, "") == want.get(f, "") and want.get(f, "") for f in group)
            ]
            if clash:
                what = ", ".join(f"{f}={want[f]}" for f in group)
                result.conflicts.append(
                    f"{label}: an unmanaged {kind.title} already has {what}; rename or remove "
                    f"it, or mark its description with [fleet] to let fleet manage it"
                )
                break
        result.managed[name] = None
        result.changes.append(Change(ADD, kind.name, label, body=body, after=want, identity=name))
    result.changes = deletions + result.changes
    return result
