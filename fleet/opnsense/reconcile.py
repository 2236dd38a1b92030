"""One batched reconcile per object group of a site: read each type once, plan, write once per
change, apply once per changed service, and undo on failure.

Groups (one Ansible module each): VLANs; aliases; filter rules (with their order and the safe
apply); DNS (Unbound host overrides and forwards: one read for both); DHCP (Kea settings,
subnets, reservations). Reads per type: VLANs, aliases, rules and DNS through the controller's
`get` (the whole model, the same shape on 24.7 to 26.7); Kea subnets and reservations through one
search each (`rowCount: -1`, every row), since Kea's `get` leaves them out.

Failure: when a write or the apply fails, the changes already written are undone in reverse
(set back, deleted, re-added), nothing is applied, and `ReconcileError` carries the API's
message: the service keeps running its previous configuration. Filter rules use the firmware's
own way back instead (`safe_apply`).

Safe apply of filter rules: up to 26.1, a savepoint is taken first and the filter applied with
its revision (OPNsense restores it by itself after 60 s unless confirmed); from 26.7 (no more
savepoints) the newest configuration backup is noted and downloaded first. After the apply a
*new* connection must get an answer. If none does, the change cut the API off: fleet reverts
over the connection it already holds (pf keeps established states across a filter reload):
`revert/<revision>` up to 26.1, `revertBackup/<id>` + apply from 26.7; if even that connection
is gone, up to 26.1 it waits for the firewall's own rollback. The site then fails with the
reason. When new connections get in, the rollback is cancelled (the change is confirmed).
"""

from __future__ import annotations

import ipaddress
import os
import time
from dataclasses import dataclass, field
from typing import Any

if __name__.startswith("ansible."):  # run by Ansible: the module_utils copies
    from ansible.module_utils import fleet_opnsense_api as api
    from ansible.module_utils import fleet_opnsense_firmware as firmware_mod
    from ansible.module_utils import fleet_opnsense_kinds as kinds
    from ansible.module_utils import fleet_opnsense_plan as planning
    from ansible.module_utils import fleet_opnsense_values as values
else:
    from fleet.opnsense import api, kinds, values
    from fleet.opnsense import firmware as firmware_mod
    from fleet.opnsense import plan as planning

SAFETY, ApiError, Client, Unreachable = api.SAFETY, api.ApiError, api.Client, api.Unreachable
Firmware = firmware_mod.Firmware
ALIAS, DOMAIN_OVERRIDE, FORWARD, HOST = (
    kinds.ALIAS,
    kinds.DOMAIN_OVERRIDE,
    kinds.FORWARD,
    kinds.HOST,
)
KEA_GENERAL, RESERVATION, RULE = kinds.KEA_GENERAL, kinds.RESERVATION, kinds.RULE
SUBNET, VLAN, Kind = kinds.SUBNET, kinds.VLAN, kinds.Kind
ADD, DELETE, UPDATE = planning.ADD, planning.DELETE, planning.UPDATE
Change, Plan, plan, diff_of = planning.Change, planning.Plan, planning.plan, planning.diff_of
encode, is_uuid, leaf, marked = values.encode, values.is_uuid, values.leaf, values.marked
nest, normal, section = values.nest, values.normal, values.section

MOVE = "move"
ALL_ROWS = {"current": 1, "rowCount": -1}


class ReconcileError(Exception):
    def __init__(self, message: str, outcome: Outcome | None = None):
        super().__init__(message)
        self.message = message
        self.outcome = outcome


@dataclass
class Outcome:
    """What one group's reconcile did (or, in check mode, would do)."""

    plans: list[Plan] = field(default_factory=list)
    extra: list[Change] = field(default_factory=list)  # settings, rule moves
    applied: list[str] = field(default_factory=list)  # services applied
    done: list[Change] = field(default_factory=list)  # changes written
    notes: list[str] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        return [c for p in self.plans for c in p.changes] + self.extra

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def diff(self) -> dict[str, dict[str, Any]]:
        return diff_of(self.changes)

    def result(self) -> dict[str, Any]:
        """The module's return values (besides changed/diff)."""
        return {
            "changes": [c.to_dict() for c in self.changes],
            "unmanaged": sorted(u for p in self.plans for u in p.unmanaged),
            "stale": sorted(s for p in self.plans for s in p.stale),
            "applied": list(self.applied),
            "notes": list(self.notes),
        }


# ---- reading ------------------------------------------------------------------------------


def read_vlans(client: Client) -> dict[str, dict]:
    return section(client.read("interfaces/vlan_settings/get"), "vlan.vlan")


def read_aliases(client: Client) -> dict[str, dict]:
    """Stored aliases (keyed by uuid); built-in ones (keyed by name) are not objects of anyone."""
    items = section(client.read("firewall/alias/get"), "alias.aliases.alias")
    return {k: v for k, v in items.items() if is_uuid(k)}


def read_rules(client: Client) -> dict[str, dict]:
    return section(client.read("firewall/filter/get"), "filter.rules.rule")


def read_unbound(client: Client, firmware: Firmware) -> tuple[dict, dict]:
    """(host overrides, forwards) from one read of the Unbound model."""
    data = client.read("unbound/settings/get")
    hosts = section(data, "unbound.hosts.host")
    if firmware.query_forwarding:
        dots = section(data, "unbound.dots.dot")
        forwards = {u: i for u, i in dots.items() if normal("text", leaf(i, "type")) == "forward"}
    else:
        forwards = section(data, "unbound.domains.domain")
    return hosts, forwards


def read_rows(client: Client, path: str) -> dict[str, dict]:
    rows = client.read(path, ALL_ROWS).get("rows") or []
    return {row["uuid"]: row for row in rows if isinstance(row, dict) and row.get("uuid")}


# ---- writing ------------------------------------------------------------------------------


def _write(client: Client, kind: Kind, change: Change, resolve=None) -> None:
    body = dict(change.body)
    if resolve is not None:
        body = resolve(body)
    if change.action == ADD:
        answer = client.write(kind.path(0), {kind.post_key: nest(body)})
        change.uuid = answer.get("uuid") if isinstance(answer, dict) else None
    elif change.action == UPDATE:
        client.write(kind.path(1, change.uuid), {kind.post_key: nest(body)})
    elif change.action == DELETE:
        client.write(kind.path(2, change.uuid))


def _undo(client: Client, kinds: dict[str, Kind], done: list[Change], resolve=None) -> list[str]:
    """Put back what `done` changed, newest first; what could not be undone, in words."""
    problems = []
    for change in reversed(done):
        try:
            if change.kind == KEA_GENERAL.name:
                client.write("kea/dhcpv4/set", {"dhcpv4": {"general": change.restore}})
                continue
            if change.action == MOVE:
                continue  # order is not a state to restore; the rules themselves are
            kind = kinds[change.kind]
            if change.action == ADD and change.uuid:
                client.write(kind.path(2, change.uuid))
            elif change.action == UPDATE:
                back = {f: change.restore.get(f, "") for f in change.body}
                back = resolve(back) if resolve is not None and "subnet" in back else back
                client.write(kind.path(1, change.uuid), {kind.post_key: nest(back)})
            elif change.action == DELETE:
                back = dict(change.restore)
                back = resolve(back) if resolve is not None and "subnet" in back else back
                client.write(kind.path(0), {kind.post_key: nest(back)})
        except ApiError as exc:
            problems.append(f"{change.name}: {exc.message}")
    return problems


def _fail(
    client, kinds, outcome: Outcome, what: str, exc: ApiError, resolve=None
) -> ReconcileError:
    problems = _undo(client, kinds, outcome.done, resolve)
    undone = len(outcome.done)
    if not undone:
        tail = "nothing was changed"
    elif problems:
        tail = (
            f"undoing the {undone} change(s) written failed ({'; '.join(problems)}): "
            "they are saved but not applied; the running configuration is unchanged"
        )
    else:
        tail = f"the {undone} change(s) written were undone; nothing was applied"
    return ReconcileError(f"{what} failed: {exc.message}; {tail}", outcome)


def _run(
    client: Client,
    steps: list[tuple[Kind, Change]],
    outcome: Outcome,
    services: list[str],
    resolve=None,
) -> None:
    kinds = {k.name: k for k, _ in steps}
    for kind, change in steps:
        try:
            if kind is KEA_GENERAL:
                client.write("kea/dhcpv4/set", {"dhcpv4": {"general": change.body}})
            else:
                _write(client, kind, change, resolve if kind is RESERVATION else None)
        except ApiError as exc:
            raise _fail(
                client, kinds, outcome, f"{change.action} {change.name}", exc, resolve
            ) from exc
        outcome.done.append(change)
    for service in services:
        try:
            client.apply(service)
        except ApiError as exc:
            raise _fail(client, kinds, outcome, f"applying {service}", exc, resolve) from exc
        outcome.applied.append(service)


def _conflicts(outcome: Outcome) -> None:
    found = [c for p in outcome.plans for c in p.conflicts]
    if found:
        raise ReconcileError("conflicts with unmanaged objects: " + "; ".join(found), outcome)


def _steps(kind: Kind, p: Plan) -> list[tuple[Kind, Change]]:
    return [(kind, c) for c in p.changes]


def _services(steps: list[tuple[Kind, Change]]) -> list[str]:
    out: list[str] = []
    for kind, _ in steps:
        if kind.service and kind.service not in out:
            out.append(kind.service)
    return out


def converge_simple(
    client: Client,
    kind: Kind,
    desired: list[dict],
    current: dict[str, dict],
    allow_destroy: bool,
    check_mode: bool,
) -> Outcome:
    outcome = Outcome([plan(kind, desired, current, allow_destroy, check_mode)])
    _conflicts(outcome)
    steps = _steps(kind, outcome.plans[0])
    if steps and not check_mode:
        _run(client, steps, outcome, _services(steps))
    return outcome


@dataclass
class SafeApply:
    rollback_wait: float = 75.0  # up to 26.1: how long the firewall's own rollback may take
    probe_tries: int = 3
    probe_pause: float = 1.0
    poll: float = 5.0  # seconds between checks while waiting for the firewall's rollback
    restore_file: str | None = None  # 26.7: where the pre-change config.xml is kept (0600)
    sleep: Any = time.sleep


# ---- the groups ---------------------------------------------------------------------------


def vlans(client: Client, desired: list[dict], allow_destroy=False, check_mode=False) -> Outcome:
    return converge_simple(client, VLAN, desired, read_vlans(client), allow_destroy, check_mode)


def aliases(
    client: Client,
    desired: list[dict],
    allow_destroy=False,
    check_mode=False,
    prune_only=False,
    safety: SafeApply | None = None,
) -> Outcome:
    """`prune_only`: only delete stale aliases (after the rules that used them are gone)."""
    current = read_aliases(client)
    if prune_only:
        keep = [i for i in desired]
        p = plan(ALIAS, keep, current, allow_destroy, check_mode)
        p.changes = [c for c in p.changes if c.action == DELETE]
        outcome = Outcome([p])
        if p.changes and not check_mode:
            _run(client, _steps(ALIAS, p), outcome, [ALIAS.service])
        return outcome
    if not check_mode:  # deletions wait for the prune pass: rules may still use the alias
        p = plan(ALIAS, desired, current, False, False)
        if allow_destroy:
            p.stale = []  # not kept: the prune pass deletes them
    else:
        p = plan(ALIAS, desired, current, allow_destroy, check_mode)
    outcome = Outcome([p])
    _conflicts(outcome)
    steps = _steps(ALIAS, p)
    if steps and not check_mode:
        _run(client, steps, outcome, [ALIAS.service])
        _guard(client, ALIAS, outcome, safety or SafeApply())
    return outcome


def _guard(client: Client, kind: Kind, outcome: Outcome, safety: SafeApply) -> None:
    """After an apply that pf reads (alias tables): new connections must still get in, else
    undo the changes over the connection still open and apply again."""
    if _probe(client, safety):
        return
    cut = "new connections to the API got no answer after the change was applied"
    problems = _undo(client, {kind.name: kind}, outcome.done)
    try:
        client.apply(kind.service)
    except ApiError as exc:
        problems.append(f"applying {kind.service} again: {exc.message}")
    _tag_safety(client, 1)
    if problems or not _probe(client, safety):
        raise ReconcileError(
            f"the change cut the API off ({cut}); undoing it failed ({'; '.join(problems) or 'still no answer'}): "
            "restore the previous configuration from the console",
            outcome,
        )
    raise ReconcileError(
        f"the change cut the API off ({cut}): the {len(outcome.done)} change(s) were undone over "
        "the connection still open and applied again; check the aliases the management rules use",
        outcome,
    )


def dns(
    client: Client,
    firmware: Firmware,
    hosts: list[dict],
    forwards: list[dict],
    allow_destroy=False,
    check_mode=False,
) -> Outcome:
    current_hosts, current_forwards = read_unbound(client, firmware)
    fwd = FORWARD if firmware.query_forwarding else DOMAIN_OVERRIDE
    outcome = Outcome(
        [
            plan(HOST, hosts, current_hosts, allow_destroy, check_mode),
            plan(fwd, forwards, current_forwards, allow_destroy, check_mode),
        ]
    )
    _conflicts(outcome)
    steps = _steps(HOST, outcome.plans[0]) + _steps(fwd, outcome.plans[1])
    if steps and not check_mode:
        _run(client, steps, outcome, _services(steps))
    return outcome


def dhcp(
    client: Client,
    settings: dict[str, Any] | None,
    subnets: list[dict],
    reservations: list[dict],
    allow_destroy=False,
    check_mode=False,
) -> Outcome:
    """Kea settings (enabled, interfaces), subnets, reservations; reservations name their
    subnet by network (CIDR), fleet turns it into the subnet's uuid."""
    general = section(client.read("kea/dhcpv4/get"), "dhcpv4.general")
    current_subnets = read_rows(client, "kea/dhcpv4/searchSubnet")
    current_res = read_rows(client, "kea/dhcpv4/searchReservation")
    cidr_of = {u: normal("lower", leaf(s, "subnet")) for u, s in current_subnets.items()}
    for item in current_res.values():  # uuid (25.7+ raw rows) or the subnet's label (≤25.1)
        ref = normal("text", leaf(item, "subnet"))
        item["subnet"] = cidr_of.get(ref, ref)
    outcome = Outcome(
        [
            plan(SUBNET, subnets, current_subnets, allow_destroy, check_mode),
            plan(RESERVATION, reservations, current_res, allow_destroy, check_mode),
        ]
    )
    if settings is not None:
        want = {
            f: encode(form, settings[f]) for f, form in KEA_GENERAL.fields.items() if f in settings
        }
        differ = [
            f
            for f in want
            if normal(KEA_GENERAL.fields[f], want[f])
            != normal(KEA_GENERAL.fields[f], general.get(f))
        ]
        if differ:
            outcome.extra.append(
                Change(
                    UPDATE,
                    KEA_GENERAL.name,
                    KEA_GENERAL.title,
                    body={f: want[f] for f in differ},
                    before={f: normal(KEA_GENERAL.fields[f], general.get(f)) for f in differ},
                    restore={f: normal(KEA_GENERAL.fields[f], general.get(f)) for f in differ},
                    after={f: normal(KEA_GENERAL.fields[f], want[f]) for f in differ},
                )
            )
    _conflicts(outcome)
    subnet_plan, res_plan = outcome.plans
    steps = [(RESERVATION, c) for c in res_plan.changes if c.action == DELETE]
    steps += [(KEA_GENERAL, c) for c in outcome.extra]
    steps += [(SUBNET, c) for c in subnet_plan.changes if c.action != DELETE]
    steps += [(RESERVATION, c) for c in res_plan.changes if c.action != DELETE]
    steps += [(SUBNET, c) for c in subnet_plan.changes if c.action == DELETE]
    if steps and not check_mode:
        uuid_of = {cidr: u for u, cidr in cidr_of.items()}

        def resolve(body: dict[str, str]) -> dict[str, str]:
            for change in subnet_plan.changes:  # subnets added in this run
                if change.action == ADD and change.uuid:
                    uuid_of[normal("lower", change.body.get("subnet"))] = change.uuid
            if "subnet" in body:
                cidr = normal("lower", body["subnet"])
                if cidr not in uuid_of:
                    raise ApiError(f"no Kea subnet {cidr} on the firewall for the reservation")
                body = body | {"subnet": uuid_of[cidr]}
            return body

        _run(client, steps, outcome, [KEA_GENERAL.service], resolve)
    return outcome


# ---- filter rules: order and the safe apply ------------------------------------------------


def _prio(item: dict) -> int:
    interfaces = [i for i in normal("set", leaf(item, "interface")).split(",") if i]
    return 200000 if not interfaces else 300000 if len(interfaces) > 1 else 400000


def _seq(item: dict) -> int:
    value = normal("int", leaf(item, "sequence"))
    return int(value) if value.isdigit() else 0


def evaluation_order(rules: dict[str, dict]) -> list[str]:
    """uuids as pf evaluates them: floating, groups, interfaces; by sequence; config order."""
    index = {u: i for i, u in enumerate(rules)}
    return sorted(rules, key=lambda u: (_prio(rules[u]), _seq(rules[u]), index[u]))


def rules(
    client: Client,
    firmware: Firmware,
    desired: list[dict],
    allow_destroy=False,
    check_mode=False,
    safety: SafeApply | None = None,
) -> Outcome:
    """Filter rules in the registry's order (`desired` is ordered), with the safe apply."""
    safety = safety or SafeApply()
    current = read_rules(client)
    p = plan(RULE, desired, current, allow_destroy, check_mode)
    outcome = Outcome([p])
    _conflicts(outcome)
    seqs = {u: _seq(i) for u, i in current.items()}
    order = [
        RULE.identity(current[u]) for u in evaluation_order(current) if RULE.managed(current[u])
    ]
    deleted = {c.identity for c in p.changes if c.action == DELETE}
    order = [n for n in order if n not in deleted]
    uuid_of = {n: u for n, u in p.managed.items()}
    want = [RULE.identity({"description": encode("text", r["description"])}) for r in desired]
    prio = {RULE.identity({"description": r["description"]}): _prio(r) for r in desired}
    want = sorted(dict.fromkeys(want), key=lambda n: prio[n])  # stable: registry order per group
    seq_of = {n: seqs[u] for n, u in uuid_of.items() if u}
    # sequences of the rules to add: between their neighbours when there is room
    for i, name in enumerate(want):
        if uuid_of.get(name):
            continue
        before = [seq_of[n] for n in want[:i] if n in seq_of]
        after = [seq_of[n] for n in want[i + 1 :] if uuid_of.get(n)]
        low = before[-1] if before else 0
        if after and after[0] - low >= 2:
            seq_of[name] = (low + after[0]) // 2
        elif after:
            seq_of[name] = low
        else:
            seq_of[name] = low + 100
        for change in p.changes:
            if change.action == ADD and change.identity == name:
                change.body["sequence"] = str(seq_of[name])
    # the order after the additions (an added rule sits after equal sequences)
    added = [n for n in want if not uuid_of.get(n)]
    position = order + added
    index = {n: i for i, n in enumerate(position)}
    position = sorted(position, key=lambda n: (prio.get(n, 400000), seq_of.get(n, 0), index[n]))
    adds = [c for c in p.changes if c.action == ADD]
    moves = _moves([n for n in position if n in prio], want, firmware, seq_of, adds)
    outcome.extra.extend(moves)
    if check_mode or not outcome.changes:
        return outcome
    _safe_apply(client, firmware, p, moves, outcome, safety)
    return outcome


def _moves(
    current: list[str], want: list[str], firmware: Firmware, seq_of: dict, adds: list[Change]
) -> list[Change]:
    """Rule moves that turn `current` into `want`. From 25.7: `moveRuleBefore`, each rule out
    of place before its successor, from the end. Before 25.7 (no move action): the managed
    rules renumbered 100, 200, … in order, one `setRule` per rule whose sequence changes."""
    order = list(current)
    moves: list[Change] = []
    for i in range(len(want) - 2, -1, -1):
        name, nxt = want[i], want[i + 1]
        if order.index(name) < order.index(nxt):
            continue
        was = order.index(name)
        order.remove(name)
        order.insert(order.index(nxt), name)
        before = {"position": f"{was + 1} of {len(order)}"}
        after = {"position": f"{order.index(name) + 1} of {len(order)}, before {nxt}"}
        move = Change(MOVE, RULE.name, f"{RULE.title} {name}", before=before, after=after,
                      identity=name, body={"before": nxt})  # fmt: skip
        moves.append(move)
    if firmware.move_rule or not moves:
        return moves
    renumbered = []
    added = {c.identity: c for c in adds}
    for i, name in enumerate(want):
        new = (i + 1) * 100
        if name in added:
            added[name].body["sequence"] = str(new)
        elif seq_of.get(name) != new:
            renumbered.append(
                Change(
                    MOVE,
                    RULE.name,
                    f"{RULE.title} {name}",
                    before={"sequence": str(seq_of.get(name))},
                    after={"sequence": str(new)},
                    identity=name,
                    body={"sequence": str(new)},
                )  # fmt: skip
            )
    return renumbered


def _probe(client: Client, safety: SafeApply) -> bool:
    """Does a new connection get an answer?"""
    for attempt in range(safety.probe_tries):
        fresh = client.fresh(timeout=min(client.timeout, 10.0))
        try:
            fresh.read("core/firmware/running")
            return True
        except Unreachable:
            if attempt + 1 < safety.probe_tries:
                safety.sleep(safety.probe_pause)
        except ApiError:
            return True  # it answered
        finally:
            fresh.close()
            _tag_safety(client, 1)
    return False


def _tag_safety(client: Client, count: int) -> None:
    """Re-label the last `count` calls as the safe apply's own."""
    log = client.calls.log
    for i in range(len(log) - count, len(log)):
        method, path, _ = log[i]
        log[i] = (method, path, SAFETY)


def _safe_apply(client, firmware, p: Plan, moves, outcome: Outcome, safety: SafeApply) -> None:
    if firmware.savepoints:
        revision = str(client.write("firewall/filter/savepoint").get("revision", ""))
        _tag_safety(client, 1)

        def back() -> str:
            client.write(f"firewall/filter/revert/{revision}")  # restores and reloads
            _tag_safety(client, 1)
            try:  # the timer would apply the savepoint again later, over a newer change
                client.write(f"firewall/filter/cancelRollback/{revision}")
            except ApiError:
                pass
            finally:
                _tag_safety(client, 1)
            return ""

        where = f"savepoint {revision}"
    else:
        listing = client.read("core/backup/backups/this").get("items") or []
        backup_id = str(listing[0]["id"]) if listing else ""
        xml = client.download(f"core/backup/download/this/{backup_id}") if backup_id else ""
        _tag_safety(client, 2 if backup_id else 1)
        if not backup_id or "<opnsense" not in xml:
            raise ReconcileError(
                "cannot change filter rules: no configuration backup to come back to "
                "(core/backup/backups/this is empty)",
                outcome,
            )
        if safety.restore_file:
            _keep(safety.restore_file, xml)

        def back() -> str:
            client.write(f"core/backup/revertBackup/{backup_id}")
            _tag_safety(client, 1)
            try:
                client.apply("firewall/filter/apply")
            except Unreachable:
                raise
            except ApiError as exc:  # the configuration is back; say the reload failed
                return f" (reloading the filter afterwards failed: {exc.message})"
            finally:
                _tag_safety(client, 1)
            return ""

        where = f"configuration backup {backup_id}"

    def rollback(what: str, exc: ApiError) -> ReconcileError:
        try:
            note = back()
        except ApiError as again:
            return ReconcileError(
                f"{what} failed: {exc.message}; rolling back to {where} failed too "
                f"({again.message})", outcome
            )  # fmt: skip
        return ReconcileError(
            f"{what} failed: {exc.message}; rolled back to {where}{note}", outcome
        )

    for change in p.changes:
        try:
            _write(client, RULE, change)
        except ApiError as exc:
            raise rollback(f"{change.action} {change.name}", exc) from exc
        outcome.done.append(change)
    uuids = {c.identity: c.uuid for c in p.changes if c.uuid} | {
        n: u for n, u in p.managed.items() if u
    }
    for move in moves:
        try:
            if "before" in move.body:
                client.write(
                    f"firewall/filter/moveRuleBefore/{uuids[move.identity]}/{uuids[move.body['before']]}"
                )
            else:
                client.write(f"firewall/filter/setRule/{uuids[move.identity]}", {"rule": move.body})
        except ApiError as exc:
            raise rollback(f"moving {move.name}", exc) from exc
        outcome.done.append(move)
    apply_path = "firewall/filter/apply" + (f"/{revision}" if firmware.savepoints else "")
    try:
        client.apply(apply_path)
    except ApiError as exc:
        raise rollback("applying the filter rules", exc) from exc
    outcome.applied.append(RULE.service)
    if _probe(client, safety):
        if firmware.savepoints:
            try:
                client.write(f"firewall/filter/cancelRollback/{revision}")
            except ApiError as exc:
                raise ReconcileError(
                    f"the rules are applied but confirming them failed ({exc.message}): "
                    f"OPNsense will roll back to {where} within 60 s",
                    outcome,
                ) from exc
            finally:
                _tag_safety(client, 1)
        return
    cut = "new connections to the API got no answer after the filter rules were applied"
    try:
        reverted = "reverted over the connection still open" + back()
    except ApiError:
        reverted = ""
    if not reverted and firmware.savepoints:
        waited = 0.0
        while waited < safety.rollback_wait and not _probe(client, safety):
            safety.sleep(safety.poll)
            waited += safety.poll
        reverted = "rolled back by the firewall itself (the rollback timer was not cancelled)"
    if reverted and _probe(client, safety):
        raise ReconcileError(
            f"the change cut the API off ({cut}): {reverted} to {where}; "
            "the firewall runs its previous rules. Check the management access rules and deploy again",
            outcome,
        )
    restore = (
        f"; the pre-change config.xml is in {safety.restore_file}" if safety.restore_file else ""
    )
    raise ReconcileError(
        f"the change cut the API off ({cut}) and the firewall still does not answer: restore "
        f"{where} from the console{restore}",
        outcome,
    )


def _keep(path: str, text: str) -> None:
    """Write the pre-change configuration (secrets included) readable by its owner only."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


# ---- desired items from the registry's terms --------------------------------------------------


def desired_vlans(vlans: list[dict]) -> list[dict]:
    return [
        {
            "if": v["parent"],
            "tag": v["tag"],
            "pcp": v.get("pcp", 0),
            "proto": "",
            "vlanif": v["device"],
            "descr": marked(v["name"]),
        }  # fmt: skip
        for v in vlans
    ]


def desired_aliases(aliases: list[dict]) -> list[dict]:
    return [
        {
            "enabled": a.get("enabled", True),
            "name": a["name"],
            "type": a["type"],
            "content": list(a.get("content", [])),
            "description": marked(a.get("description") or a["name"]),
        }  # fmt: skip
        for a in aliases
    ]


def desired_rules(rules: list[dict]) -> list[dict]:
    out = []
    for r in rules:
        text = f"{r['name']}: {r['description']}" if r.get("description") else r["name"]
        out.append(
            {
                "enabled": r.get("enabled", True),
                "action": r.get("action", "pass"),
                "quick": r.get("quick", True),
                "interface": r.get("interface", []),
                "direction": r.get("direction", "in"),
                "ipprotocol": r.get("ipprotocol", "inet"),
                "protocol": r.get("protocol", "any"),
                "source_net": r.get("source", "any"),
                "source_not": r.get("source_not", False),
                "source_port": r.get("source_port", ""),
                "destination_net": r.get("destination", "any"),
                "destination_not": r.get("destination_not", False),
                "destination_port": str(r.get("port", "") or ""),
                "log": r.get("log", False),
                "description": marked(text),
            }
        )
    return out


def desired_hosts(hosts: list[dict]) -> list[dict]:
    return [
        {
            "enabled": True,
            "hostname": h["hostname"],
            "domain": h["domain"],
            "rr": "A",
            "server": h["address"],
            "description": marked(h.get("description") or h["hostname"]),
        }  # fmt: skip
        for h in hosts
    ]


def desired_forwards(forwards: list[dict]) -> list[dict]:
    return [
        {
            "enabled": True,
            "domain": f["domain"],
            "server": f["server"],
            "description": marked(f.get("description") or f["domain"]),
        }  # fmt: skip
        for f in forwards
    ]


def desired_subnets(subnets: list[dict]) -> list[dict]:
    out = []
    for s in subnets:
        out.append(
            {
                "subnet": s["subnet"],
                "pools": list(s.get("pools", [])),
                # fleet gives routers/DNS/NTP itself: OPNsense must not refill them on save
                "option_data_autocollect": False,
                "option_data.routers": list(s.get("routers", [])),
                "option_data.domain_name_servers": list(s.get("dns_servers", [])),
                "option_data.ntp_servers": list(s.get("ntp_servers", [])),
                "option_data.domain_name": s.get("domain_name", ""),
                "description": marked(s.get("description") or s["subnet"]),
            }
        )
    return out


def desired_reservations(reservations: list[dict]) -> list[dict]:
    out = []
    for r in reservations:
        ipaddress.ip_address(r["ip_address"])  # a malformed address never reaches the API
        text = f"{r['hostname']}: {r['description']}" if r.get("description") else r["hostname"]
        out.append(
            {
                "subnet": r["subnet"],
                "ip_address": r["ip_address"],
                "hw_address": str(r["mac"]).lower(),
                "hostname": r["hostname"],
                "description": marked(text),
            }
        )
    return out
