"""OPNsense: the site firewall converged from the registry through its REST API.

- `api.py`: the HTTP client (requests; Basic auth with the key/secret; TLS verified against
  the given CA on every request; calls counted as reads, writes and applies);
- `values.py`: OPNsense's value forms ('0'/'1', comma lists, newline lists, option maps, search
  rows of either format) turned into one comparable form;
- `kinds.py`: the object types fleet manages (endpoints, managed fields, identity, service);
- `plan.py`: desired vs current → the changes, unmanaged objects and conflicts (pure);
- `reconcile.py`: read once per type, write once per change, apply once per changed service,
  undo on failure; the safe apply of filter rules (savepoint up to 26.1, backup from 26.7);
- `firmware.py`: what a firmware release speaks;
- `configxml.py`: config.xml with its secrets masked, for the backup repository.

The Ansible modules (plugins/modules/fleet_opnsense_*.py) get these files through the
module_utils symlinks (plugins/module_utils/fleet_opnsense_*.py), so the modules, the tests and
the benchmark run the same code. Standard library and `requests` only.
"""
