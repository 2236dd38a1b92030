"""Pydantic models of the registry files. Every field is documented in docs/registry.md.

Models check one file's shape and values; cross-file checks (duplicates, overlaps, capacity,
references into region.yml) live in validate.py. Unknown keys are refused everywhere
(extra="forbid") so a typo never passes silently.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fleet import components
from fleet.registry.enums import Kind, Owner, State, SwitchPlatform
from fleet.registry.opnsense import FirewallRegion, FirewallSite
from fleet.registry.proxmox import BackupJob, ProxmoxRegion
from fleet.registry.switches import PortRanges, SwitchRegion
from fleet.registry.uai import UaiError, check_uai

NAME_RE = r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$"
HostName = Annotated[str, Field(pattern=NAME_RE, description="short host name: a-z, 0-9, -")]
HostNumber = Annotated[int, Field(ge=1, le=65533)]
# AD forbids these in an OU's name: , + " \ < > ; = / # and leading spaces.
OU_NAME_RE = r'^[^,+"\\<>;=/#\s][^,+"\\<>;=/#]{0,62}$'
OuName = Annotated[str, Field(pattern=OU_NAME_RE)]


class Strict(BaseModel):
    # defer_build: schemas build on first validation, not at import; a warm `sites list`
    # only unpickles cached models and never pays for them.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# ---------------------------------------------------------------- region.yml


class Vlan(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,15}$")]
    id: Annotated[int, Field(ge=1, le=4094)]
    offset: Annotated[int, Field(ge=0)]
    prefix: Annotated[int, Field(ge=8, le=30)]
    description: str = ""


class Addressing(Strict):
    supernet: ipaddress.IPv4Network
    site_prefix: Annotated[int, Field(ge=8, le=28)]
    vlans: list[Vlan]

    @model_validator(mode="after")
    def _site_prefix_inside_supernet(self) -> Addressing:
        if self.site_prefix < self.supernet.prefixlen:
            raise ValueError(
                f"site_prefix /{self.site_prefix} is larger than the supernet "
                f"{self.supernet}; it must be /{self.supernet.prefixlen} or longer"
            )
        return self


class GuestTemplate(Strict):
    cores: Annotated[int, Field(ge=1, le=128)]
    memory_gb: Annotated[int, Field(ge=1, le=1024)]
    disk_gb: Annotated[int, Field(ge=1, le=65536)]
    vlan: str = "servers"
    description: str = ""


class AdminAccount(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_-]{0,31}$")]
    ssh_key: Annotated[
        str, Field(pattern=r"^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+")
    ]
    comment: str = ""


class Defaults(Strict):
    """Regional defaults a site may override (see Site.overrides)."""

    timezone: str = "Europe/Paris"
    ntp_servers: list[str] = Field(default_factory=list)
    syslog_server: str | None = None
    admin_accounts: list[AdminAccount] = Field(default_factory=list)
    journald_max_use: str = "500M"


class Overrides(Strict):
    """Per-site overrides: the same keys as Defaults, all optional."""

    timezone: str | None = None
    ntp_servers: list[str] | None = None
    syslog_server: str | None = None
    admin_accounts: list[AdminAccount] | None = None
    journald_max_use: str | None = None


class PasswordPolicy(Strict):
    min_length: Annotated[int, Field(ge=4, le=64)] = 10
    complexity: bool = True
    history_length: Annotated[int, Field(ge=0, le=24)] = 12
    max_age_days: Annotated[int, Field(ge=0, le=999)] = 0
    lockout_threshold: Annotated[int, Field(ge=0, le=999)] = 10
    lockout_duration_minutes: Annotated[int, Field(ge=0, le=99999)] = 15


class SambaDefaults(Strict):
    ou_tree: dict[Kind, list[OuName]]
    password_policy: PasswordPolicy = Field(default_factory=PasswordPolicy)


class OpsiProfile(Strict):
    description: str = ""
    products: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")]]


class OpsiDefaults(Strict):
    master_url: str
    profiles: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")], OpsiProfile]


# Proxmox VE: regional settings and backup jobs live in fleet/registry/proxmox.py
ProxmoxDefaults = ProxmoxRegion


class SupportedVersions(Strict):
    """The versions of one product the region supports: `min` inclusive, `below` exclusive."""

    min: str | None = None
    below: str | None = None


class Region(Strict):
    name: str
    dns_suffix: Annotated[str, Field(pattern=r"^([a-z0-9-]+\.)+[a-z]{2,}$")]
    departments: list[Annotated[int, Field(ge=1, le=99)]]
    addressing: Addressing
    defaults: Defaults = Field(default_factory=Defaults)
    guest_templates: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], GuestTemplate]
    proxmox: ProxmoxDefaults = Field(default_factory=ProxmoxDefaults)
    samba: SambaDefaults
    opsi: OpsiDefaults
    firewall: FirewallRegion = Field(default_factory=FirewallRegion)  # docs/opnsense.md
    switches: SwitchRegion = Field(default_factory=SwitchRegion)  # docs/switches.md
    supported_versions: dict[str, SupportedVersions] = Field(default_factory=dict)
    lab: bool = Field(False, description="true for the embedded lab's registry")


# ---------------------------------------------------------------- sites/<UAI>.yml


class ProxmoxNode(Strict):
    name: HostName
    host: HostNumber
    cores: Annotated[int, Field(ge=1, le=1024)]
    memory_gb: Annotated[int, Field(ge=1, le=16384)]
    storage_gb: Annotated[int, Field(ge=1)]


class Proxmox(Strict):
    nodes: list[ProxmoxNode] = Field(min_length=1)
    backup_jobs: list[BackupJob] | None = None  # replaces the region's (docs/proxmox.md)


class Guest(Strict):
    name: HostName
    template: str
    node: HostName
    host: HostNumber
    vlan: str | None = None  # default: the template's VLAN
    # Proxmox VE (docs/proxmox.md): boot disk size (default: the template's), extra disks in
    # GB (scsi1…), start at boot, wanted power state
    disk_gb: Annotated[int, Field(ge=1, le=65536)] | None = None
    disks: list[Annotated[int, Field(ge=1, le=65536)]] = Field(default_factory=list, max_length=8)
    onboot: bool = True
    state: Literal["running", "stopped"] = "running"


class SambaAd(Strict):
    realm: Annotated[
        str, Field(pattern=r"^[A-Z0-9]([A-Z0-9-]*[A-Z0-9])?(\.[A-Z0-9]([A-Z0-9-]*[A-Z0-9])?)+$")
    ]
    netbios: str
    classes: list[OuName] = Field(default_factory=list)
    rooms: list[OuName] = Field(default_factory=list)
    extra_ous: list[OuName] = Field(default_factory=list)

    @field_validator("netbios")
    @classmethod
    def _netbios(cls, value: str) -> str:
        if len(value) > 15:
            raise ValueError(f"{value!r} is {len(value)} characters; a NetBIOS name has at most 15")
        if not re.fullmatch(r"[A-Z][A-Z0-9-]*", value):
            raise ValueError(
                f"{value!r} is not a NetBIOS name: upper-case letters, digits and '-', "
                "starting with a letter"
            )
        return value


class Opsi(Strict):
    profiles: list[str] = Field(min_length=1)


class Switch(Strict):
    name: HostName
    platform: SwitchPlatform
    host: HostNumber  # in the mgmt VLAN
    # docs/switches.md: the model (default: region's switches.default_model of the platform)
    # and the ports by range → profile (default: the model's default_ports)
    model: str | None = None
    ports: PortRanges | None = None


class Site(Strict):
    uai: str
    name: Annotated[str, Field(min_length=3, max_length=120)]
    kind: Kind
    department: Annotated[int, Field(ge=1, le=99)]
    city: Annotated[str, Field(min_length=1, max_length=80)]
    owner: Owner = Owner.region
    state: State = State.onboarding
    pilot: bool = False
    proxmox: Proxmox | None = None
    guests: list[Guest] = Field(default_factory=list)
    firewall: FirewallSite | None = None  # docs/opnsense.md
    samba_ad: SambaAd | None = None
    opsi: Opsi | None = None
    switches: list[Switch] = Field(default_factory=list)
    overrides: Overrides = Field(default_factory=Overrides)

    @field_validator("uai")
    @classmethod
    def _uai(cls, value: str) -> str:
        try:
            return check_uai(value)
        except UaiError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _department_matches_uai(self) -> Site:
        if int(self.uai[1:3]) != self.department:
            raise ValueError(
                f"department {self.department} does not match UAI {self.uai} "
                f"(its digits say {int(self.uai[1:3])})"
            )
        return self

    def host_tags(self) -> set[str]:
        """The selector tags of the site's hosts (see fleet.components)."""
        tags: set[str] = set()
        if self.firewall is not None:
            tags.update(components.host_tags("firewall"))
        if self.proxmox is not None:
            tags.update(components.host_tags("proxmox_nodes"))
        for guest in self.guests:
            tags.update(components.host_tags("guests", guest.template))
        if self.switches:
            tags.update(components.host_tags("switches"))
        return tags

    def components(self) -> list[str]:
        """The components that have hosts on this site, in deploy order."""
        tags = self.host_tags()
        return [c.name for c in components.table() if c.selects(tags)]


class Allocations(Strict):
    sites: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    # pinned guest VMIDs: UAI → guest name → VMID, never renumbered (docs/proxmox.md)
    vmids: dict[str, dict[str, Annotated[int, Field(ge=100, le=999_999_999)]]] = Field(
        default_factory=dict
    )
