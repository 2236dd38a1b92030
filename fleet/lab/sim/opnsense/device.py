"""One simulated OPNsense firewall: auth, routing and the shared helpers of the controllers."""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from fleet.lab.sim.base import Request, Response
from fleet.lab.sim.opnsense import pf, releases
from fleet.lab.sim.opnsense.fields import Field
from fleet.lab.sim.opnsense.http import (
    AUTH_FAILED,
    NOT_FOUND,
    ApiError,
    Call,
    json_response,
    login_page,
    parse_body,
    php_params,
    unexpected,
)
from fleet.lab.sim.opnsense.models import Model, model_for
from fleet.lab.sim.opnsense.routing import Router, key, path_key
from fleet.lab.sim.opnsense.state import FORMAT, Store, new_state, upgrade

# /etc/protocols names offered by ProtocolField (upper case, as OPNsense lists them)
PROTOCOLS = ("ICMP", "IGMP", "GGP", "IPENCAP", "ST2", "TCP", "CBT", "EGP", "IGP", "UDP",
             "IPV6", "RSVP", "GRE", "ESP", "AH", "IPV6-ICMP", "EIGRP", "OSPF", "IPIP", "ETHERIP",
             "PIM", "VRRP", "L2TP", "ISIS", "SCTP", "CARP", "PFSYNC", "DIVERT")  # fmt: skip

TOS = {"lowdelay": "lowdelay", "critical": "critical", "inetcontrol": "inetcontrol",
       "netcontrol": "netcontrol", "throughput": "throughput", "reliability": "reliability",
       "ef": "EF", "af11": "AF11", "af12": "AF12", "af13": "AF13", "af21": "AF21",
       "af22": "AF22", "af23": "AF23", "af31": "AF31", "af32": "AF32", "af33": "AF33",
       "af41": "AF41", "af42": "AF42", "af43": "AF43", "cs1": "CS1", "cs2": "CS2", "cs3": "CS3",
       "cs4": "CS4", "cs5": "CS5", "cs6": "CS6", "cs7": "CS7"}  # fmt: skip

# standard DHCPv4 option codes ("kea list dhcp_options"), code → label
DHCP_OPTIONS = {"1": "subnet-mask (1)", "2": "time-offset (2)", "3": "routers (3)",
                "4": "time-servers (4)", "6": "domain-name-servers (6)", "7": "log-servers (7)",
                "12": "host-name (12)", "15": "domain-name (15)", "26": "interface-mtu (26)",
                "28": "broadcast-address (28)", "33": "static-routes (33)",
                "42": "ntp-servers (42)", "43": "vendor-encapsulated-options (43)",
                "44": "netbios-name-servers (44)", "46": "netbios-node-type (46)",
                "60": "vendor-class-identifier (60)", "66": "tftp-server-name (66)",
                "67": "boot-file-name (67)", "119": "domain-search (119)",
                "121": "classless-static-route (121)", "150": "tftp-server-address (150)",
                "252": "wpad-url (252)"}  # fmt: skip

ROLLBACK_SECONDS = 60.0
ESTABLISHED_LIMIT = 4096  # connection states kept (pf's state table, in small)
# Actions served only from / up to a release (releases.SINCE / UNTIL), by route key.
_SINCE = {path_key(p): s for p, s in releases.SINCE.items()}
_UNTIL = {path_key(p): s for p, s in releases.UNTIL.items()}
# SettingsController of Unbound has __call: an unknown action answers 200 with an empty body.
_CATCH_ALL = {("unbound", "settings")}


class OPNsenseDevice:
    """An OPNsense firewall's REST API over one state dict, speaking the release in its state
    (`releases.py`: 24.7 to 26.7).

    `router` and `hooks` are the tables of routes.py, handed in by the factory: the
    controllers see this class, so it must not import them.

    Its packet filter guards the API: the first request of each client connection is judged
    by the applied (running) filter rules (`pf.py`); a blocked connection gets no answer, and
    connections admitted before a filter change keep working, as pf keeps their states.
    """

    def __init__(
        self,
        name: str,
        state: dict[str, Any],
        router: Router,
        hooks: Mapping[str, Any],  # model key -> crud.Hooks
        clock: Callable[[], float] = time.time,
    ):
        self.name = name
        self.state = state
        self.store = Store(state, clock)
        self.router = router
        self.hooks = hooks
        self.rollback_seconds = ROLLBACK_SECONDS
        self.release = releases.release(state["firmware"]["version"])
        self._established: OrderedDict[int, None] = OrderedDict()

    # --- Device protocol -----------------------------------------------------------------

    @property
    def clock(self) -> Callable[[], float]:
        return self.store.clock

    @clock.setter
    def clock(self, fn: Callable[[], float]) -> None:
        self.store.clock = fn

    def credentials(self) -> dict[str, str]:
        return {"key": self.state["key"], "secret": self.state["secret"]}

    def snapshot(self) -> dict[str, Any]:
        self.tick()
        # derived, for people reading the state file: subsystems saved but not yet applied
        self.state["pending"] = self.store.pending()
        return self.state

    def error_response(self, status: int) -> Response:
        if status == 500:
            return json_response(unexpected().body, status=500)
        # 502/503 come from the web server in front of PHP, as an HTML page
        reason = {502: "Bad Gateway", 503: "Service Unavailable"}.get(status, "Error")
        page = (
            '<?xml version="1.0" encoding="iso-8859-1"?>\n'
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
            '         "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
            f" <head>\n  <title>{status} {reason}</title>\n </head>\n"
            f" <body>\n  <h1>{status} {reason}</h1>\n </body>\n</html>\n"
        )
        return Response(
            status=status, body=page.encode(), headers={"Content-Type": "text/html"}, reason=reason
        )

    def handle(self, request: Request) -> Response:
        try:
            return self._handle(request)
        except ApiError as exc:
            return json_response(exc.body, status=exc.status)
        except Exception:  # never a traceback to the client
            return json_response(unexpected().body, status=500)

    # --- request pipeline ----------------------------------------------------------------

    def _authenticated(self, request: Request) -> bool:
        header = request.header("authorization") or ""
        parts = header.split(" ")
        if len(parts) < 2:
            return False
        try:
            decoded = base64.b64decode(parts[1], validate=False).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return False
        key, sep, secret = decoded.partition(":")
        if not sep:
            return False
        return hmac.compare_digest(key, self.state["key"]) and hmac.compare_digest(
            secret, self.state["secret"]
        )

    def _admitted(self, request: Request) -> bool:
        """Does the applied filter let this request's connection in (pf.py)?"""
        conn = request.connection
        if conn and conn in self._established:
            return True  # an established state: rule changes do not cut it
        ok = pf.admits_api(
            self.store.running("rule"),
            self.store.running("alias"),
            self.state["system"].get("api_interface", "wan"),
            request.remote,
        )
        if ok and conn:
            self._established[conn] = None
            while len(self._established) > ESTABLISHED_LIMIT:
                self._established.popitem(last=False)
        return ok

    def serves(self, route: tuple[str, str, str]) -> bool:
        """Does this device's release have the action (releases.SINCE / UNTIL)?"""
        since, until = _SINCE.get(route), _UNTIL.get(route)
        if since and not self.release.at_least(since):
            return False
        return not (until and releases.series_key(self.release.series) > releases.series_key(until))

    def _handle(self, request: Request) -> Response:
        self.tick()  # an expired rollback timer fires whether or not the request gets in
        if not self._admitted(request):
            return Response(cut=True)
        if request.path in ("/", "/index.php") and request.method.upper() in ("GET", "HEAD"):
            return login_page(self.release.version)  # the web UI's login form, no auth
        parts = request.path.split("/")
        route = key(*parts[2:5]) if len(parts) >= 5 and parts[:2] == ["", "api"] else None
        hit = self.router.resolve(request.path)
        if hit is not None and route is not None and not self.serves(route):
            hit = None
        if hit is None:
            if route is not None and route[:2] in _CATCH_ALL:
                if not self._authenticated(request):
                    return json_response(AUTH_FAILED, status=401)
                return Response(body=b"", headers={"Content-Type": "text/html; charset=UTF-8"})
            return json_response(NOT_FOUND, status=404)
        handler, params = hit
        if not self._authenticated(request):
            return json_response(AUTH_FAILED, status=401)
        self.tick()
        method = request.method.upper()
        post = parse_body(method, request.headers, request.body)
        if method != "POST":
            post = {}
        query = php_params([(k, v) for k, vs in request.query.items() for v in vs])
        call = Call(method, params, query, post, remote=request.remote, path=request.path)
        if method != "POST":  # only POST actions write (OPNsense checks isPost())
            result = handler(self, call)
            return result if isinstance(result, Response) else json_response(result)
        saved = self.store.checkpoint()
        try:
            result = handler(self, call)
        except ApiError:
            self.store.restore(saved)
            raise
        except Exception:
            self.store.restore(saved)
            raise unexpected() from None
        if isinstance(result, Response):
            return result
        return json_response(result)

    # --- helpers for controllers ---------------------------------------------------------

    def model(self, key: str) -> Model:
        """The model as this device's release has it (24.7 rules have 18 fields)."""
        if key == "rule" and not self.release.at_least("25.1"):
            return model_for(key, releases.RULE_FIELDS_24_7)
        return model_for(key, None)

    def save(self, call: Call, description: str = "") -> str:
        return self.store.save(
            f"{call.path} made changes", username=f"{call.username}@{call.remote}"
        )

    def tick(self) -> None:
        """Run pending auto-rollbacks whose 60 s timer has expired (apply/{revision})."""
        if not self.state["rollbacks"]:
            return
        due = [r for r, t in self.state["rollbacks"].items() if self.store.clock() >= t]
        for revision in due:
            del self.state["rollbacks"][revision]
            backup = self.store.backup(revision)
            if backup is None:
                continue
            self.store.config["rule"] = dict(backup["config"]["rule"])
            self.store.save(f"rollback to savepoint {revision}", username="(system)")
            self.store.apply("filter")

    def interfaces(self) -> dict[str, str]:
        return {k: v["descr"] for k, v in self.state["system"]["interfaces"].items()}

    def network_label(self, value: str) -> str:
        """The display text of a rule network (NetworkAliasField::getDescription)."""
        names = self.interfaces()
        labels = []
        for part in value.split(","):
            if part in names:
                labels.append(f"{names[part]} net")
            elif part.endswith("ip") and part[:-2] in names:
                labels.append(f"{names[part[:-2]]} address")
            elif part == "(self)":
                labels.append("This Firewall")
            else:
                labels.append(part)
        return ", ".join(labels)

    def alias_names(self, types: tuple[str, ...] | None = None) -> dict[str, str]:
        return {
            i["name"]: i["name"]
            for i in self.store.items("alias").values()
            if types is None or i["type"] in types
        }

    def options(self, m: Model, f: Field) -> dict[str, str]:
        """The option list of a list field (static, or from the device's configuration)."""
        k = f.kind
        if k == "InterfaceField":
            return self.interfaces()
        if k == "ProtocolField":
            return {"any": "any", "TCP/UDP": "TCP/UDP"} | {p: p for p in PROTOCOLS}
        if k == "TosField":
            return TOS
        if k == "ScheduleField":
            return {}
        if k == "VlanInterfaceField":
            devices = {d: d for d in self.state["system"]["devices"]}
            for item in self.store.items("vlan").values():
                devices[item["vlanif"]] = f"{item['vlanif']} {item['descr']}".strip()
            return devices
        if k == "JsonKeyValueStoreField":
            if f.leaf in ("gateway", "replyto"):
                return dict(self.state["system"]["gateways"])
            if f.leaf in ("code", "match_code"):
                return DHCP_OPTIONS
            return {}
        if k == "ModelRelationField":
            return self._relation(m, f)
        if k == "PortField":  # EnableAlias: port aliases
            return self.alias_names(("port",))
        return f.options or {}

    def _relation(self, m: Model, f: Field) -> dict[str, str]:
        items = self.store.items
        if f.leaf == "overload":
            return {u: i["name"] for u, i in items("alias").items()}
        if m.key == "host_alias" and f.leaf == "host":
            return {
                u: f"{i['hostname']}.{i['domain']}".lstrip(".") for u, i in items("host").items()
            }
        if m.key == "reservation" and f.leaf == "subnet":
            return {u: i["subnet"] for u, i in items("subnet4").items()}
        if f.leaf == "option":
            return {u: i["description"] for u, i in items("kea_option").items()}
        return {}  # categories, traffic shaper pipes: none configured in the lab


def build(
    name: str,
    index: int,
    state: dict[str, Any] | None,
    seed: int,
    router: Router,
    hooks: Mapping[str, Any],
) -> OPNsenseDevice:
    if state is None:
        state = new_state(name, index, seed, releases.planned(name, index))
    elif state.get("kind") != "opnsense" or state.get("format") != FORMAT:
        # never silently replace a firewall's configuration
        raise ValueError(
            f"saved state is not an OPNsense state of format {FORMAT} "
            f"(kind {state.get('kind')!r}, format {state.get('format')!r})"
        )
    else:  # a state saved before releases were simulated ran the newest one
        upgrade(state, releases.NEWEST)
    return OPNsenseDevice(name, state, router, hooks)
