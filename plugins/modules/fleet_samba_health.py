#!/usr/bin/python
# ruff: noqa: E402, UP031  (Ansible modules: documentation strings come before the imports)
"""Read-only health checks of a Samba AD DC: dbcheck and the DNS records clients need."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_samba_health
short_description: Check a Samba AD DC without changing it
description:
  - Runs C(samba-tool dbcheck) (read-only, no C(--fix)) and resolves the SRV records and the
    DC's own A record through the DC's DNS server. Never reports a change; fails with every
    failed check listed.
options:
  realm: {description: The AD realm., type: str, required: true}
  fqdn: {description: The DC's FQDN (its A record is checked)., type: str, required: true}
  server: {description: DNS server to ask., type: str, default: 127.0.0.1}
  srv_records:
    description: SRV names, relative to the realm.
    type: list
    elements: str
    default: [_ldap._tcp, _kerberos._udp, _kerberos._tcp, _kpasswd._udp, _gc._tcp, _ldap._tcp.dc._msdcs]
  dbcheck: {description: Run samba-tool dbcheck., type: bool, default: true}
author: fleet
"""

EXAMPLES = r"""
- name: DC health
  fleet_samba_health:
    realm: 0450050K.LAB.EXAMPLE.ORG
    fqdn: dc1.0450050k.lab.example.org
"""

RETURN = r"""
checks: {description: One entry per check with name, ok and detail., type: list, returned: always}
"""

import re

from ansible.module_utils.basic import AnsibleModule


def resolve(module, name, rtype, server):
    """Answers for name/rtype from `server`, through dnspython (a python3-samba dependency)."""
    try:
        import dns.resolver
    except ImportError:
        rc, out, err = module.run_command(["dig", "+short", "@" + server, rtype, name])
        return [line for line in out.splitlines() if line.strip()] if rc == 0 else []
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server]
    resolver.lifetime = 5
    try:
        return sorted(r.to_text() for r in resolver.resolve(name, rtype))
    except Exception as exc:  # NXDOMAIN, timeout...: the check fails with the reason
        return [f"error: {exc.__class__.__name__}"]


def main():
    module = AnsibleModule(
        argument_spec={
            "realm": {"type": "str", "required": True},
            "fqdn": {"type": "str", "required": True},
            "server": {"type": "str", "default": "127.0.0.1"},
            "srv_records": {
                "type": "list",
                "elements": "str",
                "default": [
                    "_ldap._tcp",
                    "_kerberos._udp",
                    "_kerberos._tcp",
                    "_kpasswd._udp",
                    "_gc._tcp",
                    "_ldap._tcp.dc._msdcs",
                ],
            },
            "dbcheck": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    p = module.params
    zone = p["realm"].lower()
    fqdn = p["fqdn"].lower().rstrip(".")
    checks = []
    for name in p["srv_records"]:
        answers = resolve(module, f"{name}.{zone}", "SRV", p["server"])
        ok = any(a.rstrip(".").lower().endswith(" " + fqdn) for a in answers)
        checks.append({"name": f"SRV {name}.{zone}", "ok": ok, "detail": answers})
    answers = resolve(module, fqdn, "A", p["server"])
    checks.append(
        {
            "name": f"A {fqdn}",
            "ok": bool(answers) and not answers[0].startswith("error"),
            "detail": answers,
        }
    )
    if p["dbcheck"]:
        rc, out, err = module.run_command(["samba-tool", "dbcheck"])
        match = re.search(r"Checked (\d+) objects \((\d+) errors\)", out)
        ok = rc == 0 and match is not None and match.group(2) == "0"
        checks.append(
            {
                "name": "dbcheck",
                "ok": ok,
                "detail": (match.group(0) if match else (err or out).strip()[-500:]),
            }
        )
    failed = [c for c in checks if not c["ok"]]
    if failed:
        module.fail_json(
            msg="unhealthy DC: "
            + "; ".join("{}: {}".format(c["name"], c["detail"]) for c in failed),
            checks=checks,
        )
    module.exit_json(changed=False, checks=checks)


if __name__ == "__main__":
    main()
