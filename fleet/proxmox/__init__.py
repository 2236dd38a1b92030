"""Proxmox VE: a site's nodes and guests converged from the registry through the PVE API.

- `api.py`: the client (proxmoxer with an API token; TLS verified against the given CA on every
  request; calls counted as reads, writes and task polls; tasks waited for by UPID);
- `values.py`: PVE's value forms (property strings, generated MACs, disk sizes, 0/1 booleans,
  URL-encoded SSH keys, tags) turned into one comparable form;
- `guests.py`: the guests of a site: one cluster read, one config read per managed guest, plan
  everything first (shrinks refused), clone, digest-guarded config, resize, pool, power, destroy
  only when allowed;
- `objects.py`: node DNS/time/bridge, storage definitions, fleet's user/token/ACL, backup jobs;
- `summary.py`: the run's view for the reports (unmanaged, stale, calls per site).

The Ansible modules (plugins/modules/fleet_proxmox_*.py) get these files through the
module_utils symlinks (plugins/module_utils/fleet_proxmox_*.py), so the modules, the tests and
the benchmark run the same code. Standard library and proxmoxer only. docs/proxmox.md.
"""
