"""JSON-RPC envelopes as opsiconfd speaks them: 1.0 and 2.0 requests, batches, the binding of
`params` (positional list, named dict, trailing keyword dict for `**filter` methods) to the
documented parameters, and the response/error objects of both versions."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import JSONDecodeError, OpsiError, OpsiTypeError, OpsiValueError
from .interface import default_value


@dataclass
class Call:
    id: Any
    method: str
    params: Any
    v2: bool


def parse_body(body: bytes) -> tuple[list[Call], bool]:
    """Decode a request body into calls; the bool says whether it was a batch (array).
    Raises JSONDecodeError/OpsiValueError for what opsiconfd answers with HTTP 400."""
    if not body or not body.strip():
        raise OpsiValueError("Request data empty")
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise JSONDecodeError(str(err)) from None
    batch = isinstance(data, list)
    items = data if batch else [data]
    calls = []
    for item in items:
        if not isinstance(item, dict):
            raise OpsiValueError(f"Invalid request: {item!r}")
        method = item.get("method")
        if not isinstance(method, str):
            raise OpsiValueError(f"Invalid request, method missing: {item!r}")
        params = item.get("params")
        calls.append(
            Call(
                item.get("id", 0),
                method,
                [] if params is None else params,
                item.get("jsonrpc") == "2.0",
            )
        )
    return calls, batch


def wants_v2(body: bytes) -> bool:
    """Whether a (possibly unauthenticated) body asked for JSON-RPC 2.0 (for the 401 body)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    first = data[0] if isinstance(data, list) and data else data
    return isinstance(first, dict) and first.get("jsonrpc") == "2.0"


def result(call: Call, value: Any) -> dict[str, Any]:
    if call.v2:
        return {"id": call.id, "result": value, "jsonrpc": "2.0"}
    return {"id": call.id, "result": value, "error": None}


def error(call_id: Any, v2: bool, err: OpsiError) -> dict[str, Any]:
    if v2:
        return {
            "id": call_id,
            "error": {
                "message": err.message,
                "code": 0,
                "data": {"class": err.cls, "details": None},
            },
            "jsonrpc": "2.0",
        }
    return {
        "id": call_id,
        "result": None,
        "error": {"message": err.message, "class": err.cls, "details": None},
    }


def bind(name: str, spec: dict[str, Any], params: Any) -> dict[str, Any]:
    """Turn `params` into keyword arguments for the implementation, as Python would bind a
    call to the documented signature (same TypeError wording; `self` counts, as in opsiconfd)."""
    positional = [p for p in spec["params"] if not p["name"].startswith("**")]
    has_filter = len(positional) != len(spec["params"])
    names = [p["name"] for p in positional]
    args: list[Any]
    kwargs: dict[str, Any]
    if isinstance(params, dict):
        args, kwargs = [], dict(params)
    elif isinstance(params, list):
        args, kwargs = list(params), {}
        if has_filter and len(args) >= len(positional) + 1:
            last = args.pop()
            if not isinstance(last, dict):
                raise OpsiTypeError(f"kwargs param is not a dict: {last}")
            kwargs = dict(last)
    else:
        raise OpsiTypeError(f"Invalid params: {params!r}")
    required = [p["name"] for p in positional if p.get("required")]
    if len(args) > len(positional):
        low, high = len(required) + 1, len(positional) + 1
        takes = f"{high}" if low == high else f"from {low} to {high}"
        word = "argument" if high == 1 else "arguments"
        raise OpsiTypeError(
            f"{name}() takes {takes} positional {word} but {len(args) + 1} were given"
        )
    bound: dict[str, Any] = dict(zip(names, args, strict=False))
    filt: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in bound:
            raise OpsiTypeError(f"{name}() got multiple values for argument '{key}'")
        if key in names:
            bound[key] = value
        elif has_filter:
            filt[key] = value
        else:
            raise OpsiTypeError(f"{name}() got an unexpected keyword argument '{key}'")
    missing = [n for n in required if n not in bound]
    if missing:
        quoted = [f"'{m}'" for m in missing]
        text = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
        word = "argument" if len(missing) == 1 else "arguments"
        raise OpsiTypeError(f"{name}() missing {len(missing)} required positional {word}: {text}")
    for p in positional:
        if p["name"] not in bound:
            bound[p["name"]] = default_value(p.get("default"))
    # documented order: implementations may take them positionally
    bound = {n: bound[n] for n in names}
    if has_filter:
        bound["filter"] = filt
    return bound


def by_name(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark an implementation that takes the documented parameter names as keywords."""
    fn._by_name = True  # type: ignore[attr-defined]
    return fn


def invoke(impl: Callable[..., Any], backend: Any, bound: dict[str, Any]) -> Any:
    """Call an implementation with the backend first: then the documented parameters by name
    when it asks for them, otherwise in documented order (the keyword filter as `filter`)."""
    if getattr(impl, "_by_name", False):
        return impl(backend, **bound)
    filt = bound.pop("filter", None)
    args = list(bound.values())
    return impl(backend, *args) if filt is None else impl(backend, *args, filter=filt)
