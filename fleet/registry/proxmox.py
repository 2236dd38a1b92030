"""Registry models and checks of the Proxmox VE layer (docs/proxmox.md).

Region (`region.yml` → `proxmox:`): overcommit, the clone template VM of each node name, the
storage definitions, the VLAN-aware bridge, DNS servers, the automation account (user, token,
role, ACL paths), the backup jobs, the guests' pool and disk storage. Site (`sites/<UAI>.yml`):
nodes (`proxmox.nodes`), per-site backup jobs (replace the region's), guests with their disk,
extra disks, onboot and power state. VMIDs: `allocations.yml` → `vmids.<UAI>.<guest>` pins a
guest's VMID for good; a guest without a pinned VMID gets `VLAN id × 100 + host number` (what
`fleet site new` pins for a new site's guests).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fleet.errors import Problem

STORAGE_ID = r"^[a-z][a-z0-9\-_.]*[a-z0-9]$"
CONTENT = Literal["images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"]
CALENDAR_WORD = re.compile(
    r"^(daily|weekly|monthly|hourly|yearly|(mon|tue|wed|thu|fri|sat|sun)(\.\.(mon|tue|wed|thu|"
    r"fri|sat|sun))?(,(mon|tue|wed|thu|fri|sat|sun)(\.\.(mon|tue|wed|thu|fri|sat|sun))?)*"
    r"|(\*|\d{4}|\d{1,2})(-(\*|\d{1,2})){1,2}|(\*|\d{1,2}(\.\.\d{1,2})?|\*/\d{1,2})"
    r"(:(\*|\d{1,2}(\.\.\d{1,2})?|\*/\d{1,2}))?)$"
)
PRUNE_KEYS = ("keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly",
              "keep-yearly")  # fmt: skip
VMID_MIN, VMID_MAX = 100, 999_999_999


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class StorageSpec(_Strict):
    """A storage definition (`/storage`): the local thin pool, or the backup target."""

    id: Annotated[str, Field(pattern=STORAGE_ID)]
    type: Literal["lvmthin", "dir", "nfs", "pbs"]
    content: list[CONTENT] = Field(min_length=1)
    vgname: str | None = None  # lvmthin
    thinpool: str | None = None  # lvmthin
    path: str | None = None  # dir, nfs (mount point)
    server: str | None = None  # nfs, pbs
    export: str | None = None  # nfs
    datastore: str | None = None  # pbs
    username: str | None = None  # pbs (the password lives in the site's vault)
    fingerprint: str | None = None  # pbs
    prune_backups: dict[str, Annotated[int, Field(ge=0)]] | None = None

    @model_validator(mode="after")
    def _type_keys(self) -> StorageSpec:
        needed = {"lvmthin": ("vgname", "thinpool"), "dir": ("path",),
                  "nfs": ("server", "export", "path"), "pbs": ("server", "datastore")}  # fmt: skip
        missing = [k for k in needed[self.type] if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.type} storage needs {', '.join(missing)}")
        if self.prune_backups and set(self.prune_backups) - set(PRUNE_KEYS):
            raise ValueError(f"prune_backups keys: {', '.join(PRUNE_KEYS)}")
        return self


class BridgeSpec(_Strict):
    name: Annotated[str, Field(pattern=r"^vmbr\d{1,4}$")] = "vmbr0"
    ports: str = "eno1"
    vlan_aware: bool = True
    vids: str = "2-4094"


class AclEntry(_Strict):
    path: Annotated[str, Field(pattern=r"^/[a-z]*(/[^/\s]+)*$")]  # {pool} is the site's pool
    role: str


class Automation(_Strict):
    """fleet's own PVE account: a user, an API token (privilege-separated) and its ACL."""

    user: Annotated[str, Field(pattern=r"^[a-z][a-z0-9._-]*@(pve|pam)$")] = "fleet@pve"
    token_name: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9.\-_]+$")] = "fleet"
    acl: list[AclEntry] = Field(
        default_factory=lambda: [
            AclEntry(path="/pool/{pool}", role="PVEVMAdmin"),
            AclEntry(path="/storage", role="PVEDatastoreUser"),
            AclEntry(path="/nodes", role="PVEAuditor"),
        ]
    )


class BackupJob(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]+$")]
    schedule: Annotated[str, Field(max_length=128)]
    storage: Annotated[str, Field(pattern=STORAGE_ID)]
    mode: Literal["snapshot", "suspend", "stop"] = "snapshot"
    compress: Literal["0", "1", "gzip", "lzo", "zstd"] = "zstd"
    prune_backups: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=lambda: {"keep-daily": 7, "keep-weekly": 4}
    )
    enabled: bool = True

    @field_validator("schedule")
    @classmethod
    def _calendar(cls, value: str) -> str:
        if not value.split() or not all(CALENDAR_WORD.match(p) for p in value.split()):
            raise ValueError(
                f"{value!r} is not a PVE calendar event (e.g. 'daily', 'sat 02:00', "
                "'mon..fri 21:30', '*-*-01 03:00')"
            )
        return value

    @field_validator("prune_backups")
    @classmethod
    def _prune(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = set(value) - set(PRUNE_KEYS)
        if unknown:
            raise ValueError(f"unknown retention keys {sorted(unknown)} (valid: {PRUNE_KEYS})")
        return value


class ProxmoxRegion(_Strict):
    cpu_overcommit: Annotated[float, Field(ge=1, le=16)] = 4.0
    memory_reserve_gb: Annotated[int, Field(ge=0)] = 8
    # the cloud-init Debian template VM on each node, by node name (VMIDs are cluster-wide)
    clone_templates: dict[str, Annotated[int, Field(ge=VMID_MIN, le=VMID_MAX)]] = Field(
        default_factory=dict
    )
    disk_storage: Annotated[str, Field(pattern=STORAGE_ID)] = "local-lvm"
    bridge: BridgeSpec = Field(default_factory=BridgeSpec)
    storage: list[StorageSpec] = Field(default_factory=list)
    dns_servers: list[ipaddress.IPv4Address] = Field(default_factory=list, max_length=3)
    automation: Automation = Field(default_factory=Automation)
    backup_jobs: list[BackupJob] = Field(default_factory=list)
    pool: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9._{}-]*$")] = "site-{uai}"
    api_port: Annotated[int, Field(ge=1, le=65535)] = 8006


# ------------------------------------------------------------------ derived values


def pool_name(region: ProxmoxRegion, uai: str) -> str:
    return region.pool.replace("{uai}", uai.lower())


def guest_vmid(vmids: dict[str, dict[str, int]], uai: str, guest: Any, vlan_id: int) -> int:
    """The pinned VMID of a guest, else VLAN id × 100 + host number."""
    pinned = vmids.get(uai, {}).get(guest.name)
    return int(pinned) if pinned is not None else vlan_id * 100 + guest.host


def guest_disks(template: Any, guest: Any) -> list[int]:
    """Disk sizes in GB: the boot disk (scsi0), then the extra disks (scsi1…)."""
    boot = guest.disk_gb if getattr(guest, "disk_gb", None) else template.disk_gb
    return [boot, *getattr(guest, "disks", [])]


def prune_text(prune: dict[str, int]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(prune.items()))


# ------------------------------------------------------------------ checks


def check_site(region: Any, site: Any, shown: str, vmids: dict[str, dict[str, int]],
               alloc_shown: str) -> list[Problem]:  # fmt: skip
    """VMIDs unique on the site and clear of the clone templates, a template for every node
    that hosts guests, backup jobs naming a known storage."""
    problems: list[Problem] = []
    pve = region.proxmox
    vlans = {v.name: v for v in region.addressing.vlans}
    templates = {vmid: node for node, vmid in pve.clone_templates.items()}
    pinned = vmids.get(site.uai, {})
    names = {g.name for g in site.guests}
    for name in sorted(set(pinned) - names):
        problems.append(Problem(alloc_shown, f"vmids.{site.uai}.{name}",
                                f"VMID {pinned[name]} is pinned for guest {name!r}, which site "
                                f"{site.uai} does not have; remove the entry"))  # fmt: skip
    seen: dict[int, str] = {}
    node_names = {n.name for n in site.proxmox.nodes} if site.proxmox else set()
    for i, guest in enumerate(site.guests):
        where = f"guests[{i}]"
        template = region.guest_templates.get(guest.template)
        vlan = vlans.get(guest.vlan or (template.vlan if template else ""))
        if template is None or vlan is None:
            continue  # reported by the general checks
        vmid = guest_vmid(vmids, site.uai, guest, vlan.id)
        if not VMID_MIN <= vmid <= VMID_MAX:
            problems.append(Problem(shown, where, f"VMID {vmid} is outside {VMID_MIN}..{VMID_MAX}"))
        if vmid in seen:
            problems.append(Problem(shown, f"{where}.name",
                                    f"VMID clash: {guest.name} and {seen[vmid]} both get VMID "
                                    f"{vmid}; pin another in {alloc_shown} vmids.{site.uai}"))  # fmt: skip
        elif vmid in templates:
            problems.append(Problem(shown, f"{where}.name",
                                    f"VMID clash: {guest.name} gets VMID {vmid}, the clone "
                                    f"template of {templates[vmid]} (region.yml proxmox."
                                    "clone_templates)"))  # fmt: skip
        seen.setdefault(vmid, guest.name)
        if (
            guest.node in node_names
            and pve.clone_templates
            and guest.node not in pve.clone_templates
        ):
            valid = ", ".join(sorted(pve.clone_templates))
            problems.append(Problem(shown, f"{where}.node",
                                    f"unknown template: node {guest.node} has no clone template "
                                    f"in region.yml proxmox.clone_templates (known: {valid})"))  # fmt: skip
    storages = {s.id for s in pve.storage} | {"local", pve.disk_storage}
    jobs = site.proxmox.backup_jobs if site.proxmox is not None else None
    for i, job in enumerate(jobs or []):
        if job.storage not in storages:
            problems.append(Problem(shown, f"proxmox.backup_jobs[{i}].storage",
                                    f"unknown storage {job.storage!r} (valid: "
                                    f"{', '.join(sorted(storages))})"))  # fmt: skip
    return problems


def check_region(pve: ProxmoxRegion, shown: str) -> list[Problem]:
    problems: list[Problem] = []
    storages = {s.id for s in pve.storage} | {"local", pve.disk_storage}
    for i, job in enumerate(pve.backup_jobs):
        if job.storage not in storages:
            problems.append(Problem(shown, f"proxmox.backup_jobs[{i}].storage",
                                    f"unknown storage {job.storage!r} (valid: "
                                    f"{', '.join(sorted(storages))})"))  # fmt: skip
    ids = [s.id for s in pve.storage]
    for sid in sorted({s for s in ids if ids.count(s) > 1}):
        problems.append(Problem(shown, "proxmox.storage", f"storage {sid!r} is defined twice"))
    return problems


# ------------------------------------------------------------------ inventory host vars


def _acl(pve: ProxmoxRegion, pool: str) -> list[dict[str, str]]:
    return [{"path": e.path.replace("{pool}", pool), "role": e.role} for e in pve.automation.acl]


def _job(job: BackupJob, pool: str) -> dict[str, Any]:
    return {"id": job.id, "schedule": job.schedule, "storage": job.storage, "mode": job.mode,
            "compress": job.compress, "prune_backups": prune_text(job.prune_backups),
            "enabled": job.enabled, "pool": pool}  # fmt: skip


def _storage(spec: StorageSpec) -> dict[str, Any]:
    out = spec.model_dump(mode="json", exclude_none=True)
    if spec.prune_backups:
        out["prune_backups"] = prune_text(spec.prune_backups)
    return out


def node_vars(registry: Any, site: Any, node: Any) -> dict[str, Any]:
    """The host vars of one Proxmox node: its API, bridge and DNS; the site's storage,
    automation account, pool and backup jobs; the guests the node hosts."""
    region = registry.region
    pve: ProxmoxRegion = region.proxmox
    uai = site.uai
    nets = registry.networks(uai)
    vlans = registry.vlans
    mgmt = nets["mgmt"]
    gateway_host = site.firewall.host if site.firewall else 1
    pool = pool_name(pve, uai)
    accounts = (
        site.overrides.admin_accounts
        if site.overrides.admin_accounts is not None
        else region.defaults.admin_accounts
    )
    guests = []
    for guest in site.guests:
        if guest.node != node.name:
            continue
        template = region.guest_templates[guest.template]
        vlan = guest.vlan or template.vlan
        net = nets[vlan]
        disks = guest_disks(template, guest)
        guests.append({
            "name": guest.name,
            "fqdn": registry.fqdn(uai, guest.name),
            "vmid": guest_vmid(registry.vmids, uai, guest, vlans[vlan].id),
            "node": node.name,
            "template": guest.template,
            "clone": pve.clone_templates.get(node.name),
            "storage": pve.disk_storage,
            "pool": pool,
            "cores": template.cores,
            "memory_mb": template.memory_gb * 1024,
            "disk_gb": disks[0],
            "disks": [{"slot": f"scsi{i}", "size_gb": size} for i, size in enumerate(disks)],
            "vlan": vlan,
            "vlan_id": vlans[vlan].id,
            "bridge": pve.bridge.name,
            "address": f"{net.network_address + guest.host}/{net.prefixlen}",
            "gateway": str(net.network_address + gateway_host),
            "ipconfig0": f"ip={net.network_address + guest.host}/{net.prefixlen},"
            f"gw={net.network_address + gateway_host}",
            "onboot": guest.onboot,
            "agent": True,
            "state": guest.state,
            "description": template.description or guest.template,
            "ciuser": accounts[0].name if accounts else "",
            "sshkeys": "\n".join(a.ssh_key for a in accounts),
            "nameserver": " ".join(str(s) for s in pve.dns_servers),
            "searchdomain": registry.domain(uai),
        })  # fmt: skip
    jobs = site.proxmox.backup_jobs if site.proxmox.backup_jobs is not None else pve.backup_jobs
    address = mgmt.network_address + node.host
    return {
        "proxmox_api_url": f"https://{address}:{pve.api_port}",
        "proxmox_node_name": node.name,
        "proxmox_node_cores": node.cores,
        "proxmox_node_memory_gb": node.memory_gb,
        "proxmox_node_storage_gb": node.storage_gb,
        "proxmox_bridge": {
            **pve.bridge.model_dump(mode="json"),
            "cidr": f"{address}/{mgmt.prefixlen}",
            "gateway": str(mgmt.network_address + gateway_host),
        },  # fmt: skip
        "proxmox_dns": {
            "search": registry.domain(uai),
            "servers": [str(s) for s in pve.dns_servers],
        },  # fmt: skip
        "proxmox_storage": [_storage(s) for s in pve.storage],
        "proxmox_automation": {
            "user": pve.automation.user,
            "token_name": pve.automation.token_name,
            "acl": _acl(pve, pool),
        },  # fmt: skip
        "proxmox_pool": pool,
        "proxmox_backup_jobs": [_job(j, pool) for j in jobs],
        "proxmox_guests": guests,
    }
