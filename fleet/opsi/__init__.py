"""OPSI: the region's software catalogue as a lock, put on every site's depot.

- `versions.py`: opsi's version ordering and version conditions;
- `package.py`: `.opsi` files built (deterministic bytes) and read into lock entries;
- `lock.py`: the catalogue lock and pins (read, check, write), a site's depot products;
- `update.py`: `fleet opsi catalogue update`: the master (JSON-RPC) or a directory of
  packages → the changes → the new lock;
- `rpc.py`: the opsiconfd JSON-RPC client (batches, WebDAV repository);
- `depot.py`: one depot read in one batch, planned, converged (sha256 checked);
- `summary.py`: the catalogue-wide view of a run (each product's change across depots).

rpc.py, depot.py, versions.py and package.py reach the Ansible modules through the
plugins/module_utils/fleet_opsi_*.py symlinks. They must not import the rest of fleet.
"""
