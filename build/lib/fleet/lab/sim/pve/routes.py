"""Which handler answers which endpoint of the schema, and which function applies each task
effect. Every schema endpoint has exactly one handler (the contract tests check both ways)."""

from __future__ import annotations

from . import access, cluster, lxc, network, qemu, storage

_VM = "/nodes/{node}/qemu/{vmid}"

HANDLERS = {
    "GET /version": cluster.version,
    "GET /nodes": cluster.nodes,
    "GET /nodes/{node}/status": cluster.node_status,
    "GET /nodes/{node}/qemu": qemu.list_vms,
    "POST /nodes/{node}/qemu": qemu.create_vm,
    f"GET {_VM}": qemu.vm_index,
    f"DELETE {_VM}": qemu.destroy_vm,
    f"GET {_VM}/config": qemu.get_config,
    f"POST {_VM}/config": qemu.post_config,
    f"PUT {_VM}/config": qemu.put_config,
    f"POST {_VM}/clone": qemu.clone_vm,
    f"GET {_VM}/status/current": qemu.vm_status,
    f"POST {_VM}/status/start": qemu.start_vm,
    f"POST {_VM}/status/stop": qemu.stop_vm,
    f"POST {_VM}/status/shutdown": qemu.shutdown_vm,
    "GET /nodes/{node}/tasks/{upid}/status": cluster.task_status,
    "GET /nodes/{node}/tasks/{upid}/log": cluster.task_log,
    "GET /cluster/resources": cluster.resources,
    "GET /cluster/nextid": cluster.nextid,
    "GET /nodes/{node}/storage": storage.list_storages,
    "GET /nodes/{node}/storage/{storage}/content": storage.list_content,
    "GET /nodes/{node}/lxc": lxc.list_cts,
    "POST /nodes/{node}/lxc": lxc.create_ct,
    "GET /access/users": access.list_users,
    "POST /access/users": access.create_user,
    "GET /access/users/{userid}": access.read_user,
    "PUT /access/users/{userid}": access.update_user,
    "DELETE /access/users/{userid}": access.delete_user,
    "GET /access/users/{userid}/token": access.list_tokens,
    "GET /access/users/{userid}/token/{tokenid}": access.read_token,
    "POST /access/users/{userid}/token/{tokenid}": access.create_token,
    "PUT /access/users/{userid}/token/{tokenid}": access.update_token,
    "DELETE /access/users/{userid}/token/{tokenid}": access.delete_token,
    "GET /access/ticket": access.ticket_page,
    "POST /access/ticket": access.create_ticket,
    "PUT /access/password": access.change_password,
    "GET /nodes/{node}/network": network.list_ifaces,
    "POST /nodes/{node}/network": network.create_iface,
    "PUT /nodes/{node}/network": network.apply,
    "DELETE /nodes/{node}/network": network.revert,
    "GET /nodes/{node}/network/{iface}": network.get_iface,
    "PUT /nodes/{node}/network/{iface}": network.update_iface,
    "DELETE /nodes/{node}/network/{iface}": network.delete_iface,
}

EFFECTS = {
    "qemu.created": qemu.created,
    "qemu.destroyed": qemu.destroyed,
    "qemu.started": qemu.started,
    "qemu.stopped": qemu.stopped,
    "qemu.cloned": qemu.cloned,
    "lxc.created": lxc.created,
}
