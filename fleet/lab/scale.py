"""The lab at fleet scale: `fleet lab up --sites N`.

An N-site registry from the sample generator (fleet.registry.sample) with the lab's regional
settings, its addressing moved to a loopback /10 (room for 1,024 sites, nothing routed off the
machine). Every site's API devices run, one simulator process per kind (they hold 180+ devices
each); real SSH hosts (podman containers) run for a sample of the sites only: ~540 containers
would not fit a 2-core machine. The Linux hosts of the other sites are **excluded**: the overlay
marks them `fleet_excluded`, no play targets them, and every report shows their components as
`excluded` with the reason (fleet.inventory). Sharing a few containers between sites was the
other option; it was refused because a host carries its site's identity (hostname, AD realm,
depot id), so a shared one would drift for every site but one.

Faults are seeded per site: the same `--faults` and `--seed` always fault the same sites the
same way, on each of the site's API devices (every simulator kind names its devices by UAI).
The plan — sites, SSH sample, faults, method — is kept in `.fleet/lab/scale.json` for the
bench and the tests that check that exactly the faulted sites fail.
"""

from __future__ import annotations

import json
import random
import re
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fleet.errors import BadInput
from fleet.fsutil import atomic_write
from fleet.paths import Paths

SUPERNET = "127.64.0.0/10"
LAB_REGION = Path(__file__).resolve().parents[2] / "inventories" / "lab" / "region.yml"
MAX_SITES = 1024  # /20 sites in the /10
GUEST_DISK_GB = 100
# The fault each faulted site gets, in turn (fleet.lab.sim.faults): a dead device, server
# errors, a device that accepts and never answers (the client's timeout ends it), and one that
# is up 0.3 s then down 3 s, over and over (a reconcile of several calls meets a down phase).
FAULT_TYPES = ("down", "error=500", "hang", "flap=300ms/3s")
# The same site's switches (SSH, fleet/lab/sim/switches): a server error has no SSH form, so
# the switch refuses the login; a flapping site's switches are down (that simulator has no flap).
SWITCH_FAULTS = {"down": "down", "error=500": "auth", "hang": "hang", "flap=300ms/3s": "down"}
METHOD = (
    "API devices of every site from one simulator process per kind; SSH hosts (podman "
    "containers) for the sampled sites only; the other sites' Linux hosts are excluded from "
    "the SSH components (outcome 'excluded' in every report)"
)


@dataclass
class ScalePlan:
    sites: int
    registry: str
    ssh_sites: list[str]
    faults: dict[str, str] = field(default_factory=dict)  # UAI → fault (FAULT_TYPES)
    seed: int = 0
    method: str = METHOD
    # the sampled sites' vault files (their Samba AD secrets) are encrypted with this password
    vault_password_file: str = ""

    @property
    def excluded_reason(self) -> str:
        return f"lab at scale: SSH hosts run for {len(self.ssh_sites)} sampled site(s) only"

    def fault_spec(self) -> str:
        """The faults in the simulators' spec language ('' for none)."""
        by_type: dict[str, list[str]] = {}
        for uai, fault in sorted(self.faults.items()):
            by_type.setdefault(fault, []).append(uai)
        return ";".join(f"dev={','.join(uais)}:{fault}" for fault, uais in by_type.items())

    def switch_fault_spec(self) -> str:
        """The faults of the faulted sites' switches (named `<switch>.<uai>.<domain>`)."""
        by_effect: dict[str, list[str]] = {}
        for uai, fault in sorted(self.faults.items()):
            by_effect.setdefault(SWITCH_FAULTS[fault], []).append(f"*.{uai.lower()}.*")
        return ";".join(f"dev={','.join(globs)}:{effect}" for effect, globs in by_effect.items())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lab_options(self) -> dict[str, Any]:
        """What the lab's parts read from LabContext.options: the hosts part runs the sample
        and excludes the rest, the simulators set the faults ('' clears earlier ones)."""
        return {
            "ssh_sites": self.ssh_sites,
            "excluded_reason": self.excluded_reason,
            "faults": self.fault_spec(),
            "switch_faults": self.switch_fault_spec(),
            "seed": self.seed,
        }


def registry_dir(project_root: Path) -> Path:
    """Outside `.fleet/lab/` so that `fleet lab down` leaves the reports' registry readable."""
    return Paths.at(project_root).state / "scale" / "registry"


def plan_path(project_root: Path) -> Path:
    return Paths.at(project_root).lab / "scale.json"


def write_registry(project_root: Path, count: int) -> Path:
    """The N-site sample registry with the lab's region on a loopback /10 (deterministic: the
    same N gives the same sites, addresses and allocation lock)."""
    from fleet.registry.sample import write_sample

    _check_count(count)
    root = registry_dir(project_root)
    write_sample(root, count, region=LAB_REGION)
    region = yaml.safe_load((root / "region.yml").read_text(encoding="utf-8"))
    region["name"] = f"fleet lab at scale — {count} sample sites"
    region["addressing"]["supernet"] = SUPERNET
    # the PVE simulator's node has 800 GiB of local-lvm: a site's guests must fit on its one
    # (folded) node, so the scale lab's templates ask for at most GUEST_DISK_GB each
    for template in (region.get("guest_templates") or {}).values():
        if template.get("disk_gb", 0) > GUEST_DISK_GB:
            template["disk_gb"] = GUEST_DISK_GB
    text = "---\n" + yaml.safe_dump(region, sort_keys=False, allow_unicode=True)
    atomic_write(root / "region.yml", text)
    for path in sorted((root / "sites").glob("*.yml")):
        one_node(path)
    return root


def one_node(path: Path) -> None:
    """Fold a site's Proxmox nodes into its first one (capacity summed, every guest on it):
    the PVE simulator models one node per site (docs/lab.md "The lab at scale")."""
    site = yaml.safe_load(path.read_text(encoding="utf-8"))
    nodes = (site.get("proxmox") or {}).get("nodes") or []
    if len(nodes) < 2:
        return
    first = dict(nodes[0])
    for key in ("cores", "memory_gb", "storage_gb"):
        if key in first:
            first[key] = sum(n.get(key, 0) for n in nodes)
    site["proxmox"]["nodes"] = [first]
    for guest in site.get("guests") or []:
        guest["node"] = first["name"]
    atomic_write(path, "---\n" + yaml.safe_dump(site, sort_keys=False, allow_unicode=True))


def _check_count(count: int) -> None:
    if not 1 <= count <= MAX_SITES:
        raise BadInput(f"--sites: {count} is out of range (1..{MAX_SITES})")


def pick_ssh_sites(uais: list[str], count: int) -> list[str]:
    """`count` sites spread evenly over `uais` (given in the sample generator's order: lycées,
    then the other kinds, so an even spread samples each kind), sorted."""
    if count < 0:
        raise BadInput(f"--ssh-sites: {count} must be 0 or more")
    count = min(count, len(uais))
    if not count:
        return []
    step = len(uais) / count
    return sorted({uais[int(i * step)] for i in range(count)})


def pick_faults(uais: list[str], spec: str | None, seed: int) -> dict[str, str]:
    """Which sites get which fault. `spec`: `10%` or `18` (that many sites, drawn with the
    seed, faults in turn from FAULT_TYPES), or `UAI=FAULT[,UAI=FAULT…]` (FAULT one of
    FAULT_TYPES' names: down, error, hang, flap)."""
    if not spec:
        return {}
    spec = spec.strip()
    if "=" in spec:
        named = {t.split("=", 1)[0]: t for t in FAULT_TYPES}
        chosen = {}
        for item in spec.split(","):
            uai, _, fault = item.strip().partition("=")
            if uai.upper() not in uais:
                raise BadInput(f"--faults: {uai} is not a site of the scale lab")
            if fault not in named:
                raise BadInput(
                    f"--faults: '{fault}' for {uai} is not a fault; known: {', '.join(named)}"
                )
            chosen[uai.upper()] = named[fault]
        return chosen
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(%?)", spec)
    if not match:
        raise BadInput(f"--faults: '{spec}' is not N%, N or UAI=FAULT[,UAI=FAULT…]")
    number, percent = float(match.group(1)), match.group(2)
    count = round(len(uais) * number / 100) if percent else int(number)
    if count > len(uais):
        raise BadInput(f"--faults: {count} sites asked, the lab has {len(uais)}")
    drawn = sorted(random.Random(seed).sample(uais, count))
    return {uai: FAULT_TYPES[i % len(FAULT_TYPES)] for i, uai in enumerate(drawn)}


def prepare(
    project_root: Path, sites: int, ssh_sites: int, faults: str | None, seed: int
) -> ScalePlan:
    """Write the registry and the plan; `fleet lab up` then runs it (fleet.cli.lab_hosts).
    Every option is checked before anything is written."""
    from fleet.registry.sample import plan as sample_plan

    _check_count(sites)
    in_plan_order = [row[0] for row in sample_plan(sites)]  # lycées first, then other kinds
    uais = sorted(in_plan_order)
    chosen_ssh = pick_ssh_sites(in_plan_order, ssh_sites)
    chosen_faults = pick_faults(uais, faults, seed)
    registry = write_registry(project_root, sites)
    password_file = vault_password_file(project_root)
    write_vaults(registry, chosen_ssh, password_file)
    plan = ScalePlan(
        sites=len(uais),
        registry=str(registry),
        ssh_sites=chosen_ssh,
        faults=chosen_faults,
        seed=seed,
        vault_password_file=str(password_file),
    )
    atomic_write(plan_path(project_root), json.dumps(plan.to_dict(), indent=2) + "\n")
    return plan


def vault_password_file(project_root: Path) -> Path:
    """The scale lab's vault password (made once, mode 0600): pass it to runs with
    `--vault-password-file` or FLEET_VAULT_PASSWORD_FILE."""
    path = Paths.at(project_root).state / "scale" / "vault-password"
    if not path.exists():
        atomic_write(path, secrets.token_urlsafe(24) + "\n", mode=0o600)
    return path


def write_vaults(registry: Path, sites: list[str], password_file: Path) -> None:
    """A vault file for each sampled site: the secrets its SSH components need (the Samba AD
    administrator and service accounts), random, ansible-vault encrypted, mode 0600."""
    from ansible.parsing.vault import VaultLib, VaultSecret

    password = password_file.read_bytes().strip()
    vault = VaultLib([("default", VaultSecret(password))])
    for uai in sites:
        data = {
            "samba_ad_admin_password": _password("Adm"),
            "samba_ad_service_account_passwords": {
                "svc-opsi-join": _password("Ops"),
                "svc-ldap-read": _password("Ldp"),
            },
        }
        blob = vault.encrypt(json.dumps(data)).decode()
        atomic_write(registry / "vault" / f"{uai}.yml", blob, mode=0o600)


def _password(prefix: str) -> str:
    # Samba's default policy wants upper, lower, digit and symbol
    return f"{prefix}-{secrets.token_urlsafe(12)}9a!"


def load_plan(project_root: Path) -> ScalePlan | None:
    path = plan_path(project_root)
    if not path.exists():
        return None
    return ScalePlan(**json.loads(path.read_text(encoding="utf-8")))
