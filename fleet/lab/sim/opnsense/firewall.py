"""Firewall aliases (`/api/firewall/alias*`) and filter rules (`/api/firewall/filter`): the
actions routes.py maps to their paths, and the hooks of the two models."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fleet.lab.sim.opnsense import crud, modelio
from fleet.lab.sim.opnsense.crud import Hooks, Item, Messages
from fleet.lab.sim.opnsense.csvio import CsvTransfer
from fleet.lab.sim.opnsense.fields import is_ip, is_mac, is_network, option_map, split_list
from fleet.lab.sim.opnsense.http import Call, user_exception
from fleet.lab.sim.opnsense.models import defaults, model
from fleet.lab.sim.opnsense.state import BACKUP_COUNT, SEED_ALIASES

if TYPE_CHECKING:
    from fleet.lab.sim.opnsense.device import OPNsenseDevice

ALIAS = model("alias")
RULE = model("rule")

# --- aliases ----------------------------------------------------------------------------------

NAME_RE = re.compile(
    r"^([a-zA-Z]|(([_a-zA-Z][a-zA-Z0-9]|[a-zA-Z][_a-zA-Z0-9])[_a-zA-Z0-9]{0,29}))$"
)
NAME_MSG = (
    "The name must start with a letter or single underscore, be less than 32 characters and "
    "only consist of alphanumeric characters or underscores."
)
RESERVED = {"all", "any", "block", "from", "in", "inet", "inet6", "label", "on", "out", "pass",
            "port", "proto", "quick", "self", "table", "to", "urpf-failed", "user", "group",
            "keep", "state", "return", "drop", "rdr", "nat", "binat", "anchor", "scrub"}  # fmt: skip
RESERVED_MSG = "The name cannot be the same as a reserved keyword or service name."
COUNTRIES = {
    "AT": ("Austria", "Europe"), "BE": ("Belgium", "Europe"), "CH": ("Switzerland", "Europe"),
    "CN": ("China", "Asia"), "DE": ("Germany", "Europe"), "ES": ("Spain", "Europe"),
    "FR": ("France", "Europe"), "GB": ("United Kingdom", "Europe"), "IE": ("Ireland", "Europe"),
    "IT": ("Italy", "Europe"), "LU": ("Luxembourg", "Europe"), "NL": ("Netherlands", "Europe"),
    "PT": ("Portugal", "Europe"), "RU": ("Russian Federation", "Europe"),
    "US": ("United States", "America"), "CA": ("Canada", "America"), "BR": ("Brazil", "America"),
    "JP": ("Japan", "Asia"), "IN": ("India", "Asia"), "AU": ("Australia", "Oceania"),
    "ZA": ("South Africa", "Africa"), "MA": ("Morocco", "Africa"), "SN": ("Senegal", "Africa"),
    "RE": ("Reunion", "Africa"), "GP": ("Guadeloupe", "America"), "MQ": ("Martinique", "America"),
}  # fmt: skip


def _content(item: Item) -> list[str]:
    return [c for c in item.get("content", "").split("\n") if c != ""]


def _is_host_entry(entry: str) -> bool:
    if is_ip(entry):
        return True
    lo, sep, hi = entry.partition("-")
    if sep and is_ip(lo) and is_ip(hi):
        return True
    return bool(re.fullmatch(r"[a-zA-Z0-9.\-_]+", entry)) and not entry.replace(".", "").isdigit()


def alias_validate(dev: OPNsenseDevice, uuid: str, item: Item) -> Messages:
    msgs: Messages = {}
    name = item.get("name", "")
    if name and not NAME_RE.match(name):
        msgs.setdefault("name", []).append(NAME_MSG)
    elif name.lower() in RESERVED:
        msgs.setdefault("name", []).append(RESERVED_MSG)
    others = {i["name"] for u, i in dev.store.items("alias").items() if u != uuid}
    kind = item.get("type", "")
    bad: list[str] = []
    for entry in _content(item):
        plain = entry.removeprefix("!")
        if kind == "host":
            ok = plain in others or _is_host_entry(plain)
            text = 'Entry "%s" is not a valid hostname, IP address or range.'
        elif kind == "network":
            ok = plain in others or is_network(plain) or _is_host_entry(plain)
            text = 'Entry "%s" is not a network.'
        elif kind == "port":
            lo, _, hi = plain.replace("-", ":").partition(":")
            ok = plain in others or (
                lo.isdigit()
                and 0 < int(lo) < 65536
                and (not hi or hi.isdigit() and int(hi) < 65536)
            )
            text = 'Entry "%s" is not a valid port number.'
        elif kind == "networkgroup":
            ok = plain in others
            text = 'Entry "%s" is not a valid alias.'
        elif kind == "mac":
            ok = is_mac(plain) or bool(
                re.fullmatch(r"([0-9a-fA-F]{2}[:-]){0,5}[0-9a-fA-F]{0,2}", plain)
            )
            text = 'Entry "%s" is not a valid (partial) MAC address.'
        elif kind == "geoip":
            ok = plain.upper() in COUNTRIES or bool(re.fullmatch(r"[A-Z]{2}", plain))
            text = 'Entry "%s" is not a valid country code.'
        elif kind == "asn":
            ok = plain.isdigit()
            text = 'Entry "%s" is not a valid ASN.'
        elif kind in ("url", "urltable", "urljson"):
            ok = bool(re.match(r"^https?://\S+$", plain))
            text = 'Entry "%s" is not a valid URL.'
        else:
            ok, text = True, ""
        if not ok:
            bad.append(text % entry)
    if bad:
        msgs["content"] = bad
    return msgs


def alias_get(dev: OPNsenseDevice, uuid: str, item: Item, out: dict[str, Any]) -> None:
    """content: the current entries, then every other alias as an unselected choice."""
    entries = _content(item)
    content: dict[str, Any] = {e: {"value": e, "selected": 1} for e in entries}
    for u, other in dev.store.items("alias").items():
        if u != uuid and other["name"] not in content:
            content[other["name"]] = {
                "value": other["name"],
                "description": other.get("description", ""),
                "selected": 0,
            }
    out["content"] = content


def alias_volatile(dev: OPNsenseDevice, uuid: str, item: Item) -> dict[str, str]:
    running = dev.store.running("alias").get(uuid)
    if running is None:
        return {}
    return {"current_items": str(len(_content(running)))}


def alias_row(dev: OPNsenseDevice, uuid: str, item: Item, row: dict[str, Any]) -> None:
    row["categories_uuid"] = split_list(item.get("categories", ""))


def alias_users(dev: OPNsenseDevice, name: str, skip: str = "") -> list[str]:
    users = []
    for u, r in dev.store.items("rule").items():
        for f in ("source_net", "destination_net", "source_port", "destination_port"):
            if name in split_list(r.get(f, "")):
                users.append(f"[rule] {r.get('description') or u}")
                break
    for u, a in dev.store.items("alias").items():
        if u != skip and name in _content(a):
            users.append(f"[alias] {a['name']}")
    return users


def alias_before_delete(dev: OPNsenseDevice, uuid: str, item: Item) -> None:
    users = alias_users(dev, item["name"], skip=uuid)
    if users:
        raise user_exception(
            f"Cannot delete alias {item['name']}. Currently in use by {', '.join(users)}",
            "Alias in use",
        )


def alias_after_set(dev: OPNsenseDevice, uuid: str, old: Item, new: Item) -> None:
    """A rename rewrites references in rules and other aliases."""
    before, after = old.get("name", ""), new.get("name", "")
    if not before or before == after:
        return
    rules = dev.store.items("rule")
    for u, r in list(rules.items()):
        changed = {}
        for f in ("source_net", "destination_net", "source_port", "destination_port"):
            parts = r.get(f, "").split(",")
            if before in parts:
                changed[f] = ",".join(after if p == before else p for p in parts)
        if changed:
            rules[u] = r | changed
    aliases = dev.store.items("alias")
    for u, a in list(aliases.items()):
        if u != uuid and before in _content(a):
            lines = a["content"].split("\n")
            aliases[u] = a | {"content": "\n".join(after if x == before else x for x in lines)}


ALIAS_HOOKS = Hooks(
    validate=alias_validate,
    volatile=alias_volatile,
    row=alias_row,
    get=alias_get,
    before_delete=alias_before_delete,
    after_set=alias_after_set,
)


def _alias_filter(call: Call):
    """searchItem's `type` and `category` selections."""
    types = call.get("type")
    cats = call.get("category")
    types = list(types.values()) if isinstance(types, dict) else types
    cats = list(cats.values()) if isinstance(cats, dict) else cats

    def keep(uuid: str, item: Item) -> bool:
        if isinstance(types, list) and types and item["type"] not in types:
            return False
        if isinstance(cats, list) and cats:
            return bool(set(split_list(item.get("categories", ""))) & set(cats))
        return True

    return keep


ALIASES = crud.Collection(ALIAS, keep=_alias_filter, multi_delete=True)


SEED_NAMES = {name for name, _, _ in SEED_ALIASES}


def alias_builtins(dev: OPNsenseDevice) -> dict[str, Any]:
    """The built-in aliases `alias/get` lists after the stored ones, keyed by name: the static
    ones and `__<if>_network` per interface; their other fields come from the first stored
    alias (reference: alias/get)."""
    items = dev.store.items("alias")
    stored = [i for i in items.values() if i["name"] not in SEED_NAMES]
    template = dict(stored[0]) if stored else defaults(ALIAS)
    out: dict[str, Any] = {}
    for item in items.values():
        if item["name"] in SEED_NAMES:
            out[item["name"]] = modelio.item(dev, "alias", item["name"], item)
    for key, iface in dev.state["system"]["interfaces"].items():
        name = f"__{key}_network"
        entry = template | {
            "enabled": "1",
            "name": name,
            "type": "internal",
            "content": "",
            "description": f"{iface.get('descr') or key} net",
        }
        out[name] = modelio.item(dev, "alias", name, entry)
    return out


ALIAS_MODEL = modelio.ModelController(
    modelio.Tree(
        "alias",
        {"aliases.alias": "alias"},
        extra=lambda dev: {"geoip": {"url": ""}},
        builtins=alias_builtins,
    )
)


def alias_uuid(dev: OPNsenseDevice, call: Call) -> Any:
    name = call.param(0)
    for u, item in dev.store.items("alias").items():
        if item["name"] == name:
            return {"uuid": u}
    return []


def alias_reconfigure(dev: OPNsenseDevice, call: Call) -> Any:
    if not call.is_post:
        return {"status": "failed"}
    dev.store.apply("alias")
    return {"status": "ok"}


def alias_categories(dev: OPNsenseDevice, call: Call) -> Any:
    return {"rows": []}


def alias_network_aliases(dev: OPNsenseDevice, call: Call) -> Any:
    return {
        i["name"]: {"name": i["name"], "description": i.get("description", "")}
        for i in sorted(dev.store.items("alias").values(), key=lambda i: i["name"].lower())
        if i["type"] not in ("external", "port")
    }


def alias_countries(dev: OPNsenseDevice, call: Call) -> Any:
    return {cc: {"name": n, "region": r} for cc, (n, r) in sorted(COUNTRIES.items())}


def alias_user_groups(dev: OPNsenseDevice, call: Call) -> Any:
    return {gid: {"name": n, "gid": gid} for gid, n in dev.state["system"]["groups"].items()}


def _export_item(item: Item) -> dict[str, str]:
    return {f.name: item.get(f.name, "") for f in ALIAS.stored}


def alias_export(dev: OPNsenseDevice, call: Call) -> Any:
    ids = call.get("ids")
    wanted = set(str(ids).split(",")) if ids else None
    items = {
        u: _export_item(i)
        for u, i in dev.store.items("alias").items()
        if wanted is None or u in wanted
    }
    return {"aliases": {"alias": items}}


def alias_import(dev: OPNsenseDevice, call: Call) -> Any:
    if not call.is_post:
        return {"status": "failed"}
    data = call.post.get("data")
    rows = data.get("aliases", {}).get("alias", {}) if isinstance(data, dict) else {}
    if not isinstance(rows, dict):
        return {"status": "failed"}
    aliases = dev.store.items("alias")
    by_name = {i["name"]: u for u, i in aliases.items()}
    staged: dict[str, Item] = {}
    errors: dict[str, Any] = {}
    existing = new = 0
    for key, row in rows.items():
        if not isinstance(row, dict):
            continue
        uuid = by_name.get(str(row.get("name", "")))
        if uuid is None:
            uuid, base = dev.store.new_uuid(), crud.defaults(ALIAS)
            new += 1
        else:
            base = aliases[uuid]
            existing += 1
        item = crud.merge_post(ALIAS, base, row)
        msgs = crud.check_item(dev, ALIAS, uuid, item)
        errors |= crud.validations(str(key), msgs)
        staged[uuid] = item
    if errors:
        return {"existing": existing, "new": new, "status": "failed", "validations": errors}
    aliases.update(staged)
    dev.save(call)
    return {"existing": existing, "new": new, "status": "ok"}


def alias_table_size(dev: OPNsenseDevice, call: Call) -> Any:
    used = sum(len(_content(i)) for i in dev.store.running("alias").values())
    return {"size": 1000000, "used": used}


def alias_util_list(dev: OPNsenseDevice, call: Call) -> Any:
    """Live pf table contents: what the running configuration loaded, not config.xml."""
    name = call.param(0)
    entries: list[str] = []
    for item in dev.store.running("alias").values():
        if item["name"] == name and item.get("enabled") == "1":
            entries = [e for e in _content(item) if is_network(e) or is_ip(e)]
    rows = [{"ip": e} for e in entries]
    return crud.grid(call, rows, "ip")


# --- filter rules -----------------------------------------------------------------------------


def _net_ok(dev: OPNsenseDevice, value: str) -> bool:
    ifs = dev.interfaces()
    if value in ("any", "(self)") or value in ifs:
        return True
    if value.endswith("ip") and value[:-2] in ifs:
        return True
    if value in dev.alias_names():
        return True
    return is_network(value)


def rule_validate(dev: OPNsenseDevice, uuid: str, item: Item) -> Messages:
    msgs: Messages = {}
    for f, side in (("source_net", "source"), ("destination_net", "destination")):
        for value in item.get(f, "").split(","):
            if value and not _net_ok(dev, value):
                msgs.setdefault(f, []).append(f"{value} is not a valid {side} IP address or alias.")
    proto = item.get("protocol", "")
    for f, side in (("source_port", "Source"), ("destination_port", "Destination")):
        if item.get(f) and proto not in ("TCP", "UDP", "TCP/UDP"):
            msgs.setdefault(f, []).append(f"{side} ports are only valid for tcp or udp type rules.")
    return msgs


def _prio(item: Item) -> str:
    if not item.get("interface"):
        return "200000"  # floating rules
    if len(split_list(item["interface"])) > 1:
        return "300000"  # interface groups and multi-interface rules
    return "400000"


def rule_volatile(dev: OPNsenseDevice, uuid: str, item: Item) -> dict[str, str]:
    prio = _prio(item)
    seq = item.get("sequence", "0")
    seq = int(seq) if seq.isdigit() else 0
    return {"prio_group": prio, "sort_order": f"{prio}.{seq:07d}"}


def rule_row(dev: OPNsenseDevice, uuid: str, item: Item, row: dict[str, Any]) -> None:
    row["legacy"] = False
    row["category_colors"] = []


RULE_HOOKS = Hooks(validate=rule_validate, volatile=rule_volatile, row=rule_row)


def rule_search(dev: OPNsenseDevice, call: Call) -> Any:
    wanted = call.get("interface")

    def keep(uuid: str, item: Item) -> bool:
        if not wanted or not isinstance(wanted, str):
            return True
        ifs = split_list(item.get("interface", "")) or ["__floating"]
        return bool(set(ifs) & set(wanted.split(",")))

    return crud.search(dev, dev.model("rule"), call, keep, post_only=True, default_count=9999)


RULES = crud.Collection(RULE)


def rule_toggle_log(dev: OPNsenseDevice, call: Call) -> Any:
    uuid, log = call.param(0), call.param(1)
    rules = dev.store.items("rule")
    if not call.is_post or uuid not in rules or log not in ("0", "1"):
        return {"status": "failed"}
    if rules[uuid].get("log") != log:
        rules[uuid] = rules[uuid] | {"log": log}
        dev.save(call)
    return {"status": "ok"}


def rule_move_before(dev: OPNsenseDevice, call: Call) -> Any:
    """Give the selected rule the target's sequence and push the rules behind it down."""
    selected, target = call.param(0), call.param(1)
    rules = dev.store.items("rule")
    if not call.is_post or selected not in rules or target not in rules or selected == target:
        return {"status": "failed"}
    order = sorted(
        (u for u in rules if u != selected), key=lambda u: (int(rules[u]["sequence"] or 0), u)
    )
    order.insert(order.index(target), selected)
    seq = int(rules[target]["sequence"] or 1)
    for u in order[order.index(selected) :]:
        current = int(rules[u]["sequence"] or 0)
        if u == selected or current <= seq:
            rules[u] = rules[u] | {"sequence": str(seq)}
            seq += 1
        else:
            seq = current + 1
    dev.save(call)
    return {"status": "ok"}


def rule_apply(dev: OPNsenseDevice, call: Call) -> Any:
    if not call.is_post:
        return {"status": "error"}
    revision = call.param(0)
    if revision and dev.release.savepoints:  # 26.7 has no rollback timer: the part is ignored
        dev.state["rollbacks"][revision] = dev.store.clock() + dev.rollback_seconds
    dev.store.apply("filter")
    return {"status": "OK\n\n"}


def rule_savepoint(dev: OPNsenseDevice, call: Call) -> Any:
    if not call.is_post:
        return {"status": "failed"}
    revision = dev.store.save("savepoint", username=f"{call.username}@{call.remote}")
    return {"status": "ok", "retention": str(BACKUP_COUNT), "revision": revision}


def rule_cancel_rollback(dev: OPNsenseDevice, call: Call) -> Any:
    if not call.is_post:
        return {"status": "failed"}
    dev.state["rollbacks"].pop(call.param(0) or "", None)
    return {"status": "OK\n\n"}


def rule_revert(dev: OPNsenseDevice, call: Call) -> Any:
    if not call.is_post:
        return {"status": "failed"}
    backup = dev.store.backup(call.param(0) or "")
    if backup is None:
        return {"status": "unknown (or removed) savepoint"}
    dev.store.config["rule"] = dict(backup["config"]["rule"])
    dev.save(call)
    dev.store.apply("filter")
    return {"status": "ok"}


def rule_interface_list(dev: OPNsenseDevice, call: Call) -> Any:
    items = [
        {"value": k, "label": v, "type": "interface"} for k, v in sorted(dev.interfaces().items())
    ]
    return {
        "floating": {
            "label": "Floating",
            "icon": "fa fa-layer-group",
            "items": [{"value": "__floating", "label": "Floating", "type": "floating"}],
        },
        "groups": {"label": "Groups", "icon": "fa fa-sitemap", "items": []},
        "interfaces": {"label": "Interfaces", "icon": "fa fa-ethernet", "items": items},
        "any": {"items": [{"value": "__any", "label": "Any", "type": "any"}]},
    }


def rule_categories(dev: OPNsenseDevice, call: Call) -> Any:
    return {"rows": []}


def rule_network_options(dev: OPNsenseDevice, call: Call) -> Any:
    networks = {"any": "any", "(self)": "This Firewall"}
    for k, v in dev.interfaces().items():
        networks[k] = f"{v} net"
        networks[f"{k}ip"] = f"{v} address"
    aliases = {
        i["name"]: i["name"] for i in dev.store.items("alias").values() if i["type"] != "port"
    }
    return {
        "single": {"label": "Single host or Network"},
        "aliases": {"label": "Aliases", "items": dict(sorted(aliases.items()))},
        "networks": {"label": "Networks", "items": networks},
    }


RULES_CSV = CsvTransfer(RULE, "filter_rules.csv")

SNAT_MODES = {
    "automatic": "Automatic Source NAT rule generation",
    "hybrid": "Hybrid Source NAT rule generation",
    "advanced": "Manual Source NAT rule generation",
    "disabled": "Disable Source NAT rule generation",
}


def filter_general(dev: OPNsenseDevice) -> dict[str, Any]:
    if not dev.release.at_least("26.7"):
        return {}
    snat = model("rule").field("sequence")  # any required field: no "" entry
    assert snat is not None
    return {"general": {"snat_mode": option_map(snat, "automatic", SNAT_MODES)}}


FILTER_MODEL = modelio.ModelController(
    modelio.Tree(
        "filter",
        {"rules.rule": "rule"},
        extra=filter_general,
        shown={"snatrules.rule": "", "npt.rule": "", "onetoone.rule": ""},
    )
)
