"""Which pool a guest belongs to (state["pools"]): shared by the pool handlers and the guest
handlers that add a guest on create/clone and drop it on destroy."""

from __future__ import annotations

from typing import Any

from .errors import ApiError


def pools_of(ctx) -> dict[str, Any]:
    return ctx.state.setdefault("pools", {})


def pool_of(ctx, vmid: int) -> str | None:
    for poolid, pool in pools_of(ctx).items():
        if int(vmid) in pool["vms"]:
            return poolid
    return None


def get_pool(ctx, poolid: str) -> dict[str, Any]:
    pool = pools_of(ctx).get(poolid)
    if pool is None:
        raise ApiError(f"pool '{poolid}' does not exist")
    return pool


def add_vm_to_pool(ctx, poolid: str, vmid: int, allow_move: bool = False) -> None:
    pool = get_pool(ctx, poolid)
    current = pool_of(ctx, vmid)
    if current == poolid:
        raise ApiError(f"update pools failed: VM {vmid} is already a pool member")
    if current is not None:
        if not allow_move:
            raise ApiError(
                f"update pools failed: VM {vmid} belongs already to pool '{current}' and "
                "'allow-move' is not set"
            )
        pools_of(ctx)[current]["vms"].remove(int(vmid))
    pool["vms"].append(int(vmid))


def drop_vm(ctx, vmid: int) -> None:
    """A destroyed guest leaves its pool."""
    for pool in pools_of(ctx).values():
        if int(vmid) in pool["vms"]:
            pool["vms"].remove(int(vmid))
