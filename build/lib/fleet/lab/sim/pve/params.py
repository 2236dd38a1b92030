"""Parameter validation from the reference schema (PVE::JSONSchema::validate semantics).

Every error is collected per parameter and raised once as ParamError, so a client sees the
same 400 `errors` object a real node sends. Values come in as strings (form, query, path) and
leave typed: integers as int, numbers as float, booleans as 0/1.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import ParamError
from .formats import (
    FormatError,
    check_named,
    parse_boolean,
    parse_property_string,
    perl_regex,
)
from .schema import Endpoint

_INT = re.compile(r"[+-]?\d+")
_NUM = re.compile(r"[+-]?(\d+\.\d*|\d*\.\d+|\d+)([eE][+-]?\d+)?")

MISSING = "property is missing and it is not optional"
UNKNOWN = "property is not defined in schema and the schema does not allow additional properties"


def _num(text: Any) -> float:
    return float(text)


def check_value(spec: dict[str, Any], value: str, path: str = "") -> Any:
    """Type-check and convert one value; raise FormatError with PVE's message."""
    kind = spec.get("type", "string")
    if kind == "boolean":
        parsed = parse_boolean(value)
        if parsed is None:
            raise FormatError(f"type check ('boolean') failed - got '{value}'")
        return parsed
    if kind == "integer":
        if not _INT.fullmatch(value):
            raise FormatError(f"type check ('integer') failed - got '{value}'")
        out: Any = int(value)
    elif kind == "number":
        if not _NUM.fullmatch(value):
            raise FormatError(f"type check ('number') failed - got '{value}'")
        out = float(value)
        if out.is_integer() and "." not in value and "e" not in value.lower():
            out = int(out)
    else:
        out = value
    if kind in ("integer", "number"):
        if "minimum" in spec and out < _num(spec["minimum"]):
            raise FormatError(f"value must have a minimum value of {spec['minimum']}")
        if "maximum" in spec and out > _num(spec["maximum"]):
            raise FormatError(f"value must have a maximum value of {spec['maximum']}")
    if "enum" in spec and str(out) not in [str(e) for e in spec["enum"]]:
        raise FormatError(
            f"value '{value}' does not have a value in the enumeration "
            f"'{', '.join(str(e) for e in spec['enum'])}'"
        )
    if kind == "string":
        if "maxLength" in spec and len(value) > int(spec["maxLength"]):
            raise FormatError(f"value may only be {spec['maxLength']} characters long")
        if "minLength" in spec and len(value) < int(spec["minLength"]):
            raise FormatError(f"value must be at least {spec['minLength']} characters long")
        if "pattern" in spec and not perl_regex(spec["pattern"]).fullmatch(value):
            raise FormatError("value does not match the regex pattern")
        fmt = spec.get("format")
        if isinstance(fmt, str):
            try:
                check_named(fmt, value)
            except FormatError as err:
                raise FormatError(f"invalid format - {err}") from None
        elif isinstance(fmt, dict):
            check_property_string(fmt, value, path)
    return out


def check_property_string(fmt: dict[str, Any], value: str, path: str) -> dict[str, Any]:
    try:
        data = parse_property_string(fmt, value)
    except FormatError as err:
        raise FormatError(f"invalid format - {err}") from None
    problems = []
    for key, spec in fmt.items():
        if "alias" in spec:
            continue
        if key not in data:
            if not spec.get("optional") and "default" not in spec:
                problems.append(f"{path}.{key}: {MISSING}")
            continue
        if isinstance(data[key], int):  # parsed boolean
            continue
        try:
            data[key] = check_value(spec, str(data[key]), f"{path}.{key}")
        except FormatError as err:
            problems.append(f"{path}.{key}: {err}")
    if problems:
        raise FormatError("invalid format - format error\n" + "\n".join(problems))
    return data


def validate(
    endpoint: Endpoint, values: dict[str, str], path_values: dict[str, str]
) -> dict[str, Any]:
    """Check every parameter against the endpoint schema; return typed values."""
    errors: dict[str, str] = {}
    merged = dict(values)
    for name, val in path_values.items():
        if name in merged and merged[name] != val:
            errors[name] = "duplicate parameter (already defined in URI) with conflicting values!"
        merged[name] = val
    out: dict[str, Any] = {}
    for name, raw in merged.items():
        spec = endpoint.spec(name)
        if spec is None:
            errors[name] = UNKNOWN
            continue
        try:
            out[name] = check_value(spec, raw, name)
        except FormatError as err:
            errors.setdefault(name, str(err))
    for name, spec in endpoint.params.items():
        if spec.get("required") and name not in merged:
            errors[name] = MISSING
    for name in list(out):
        spec = endpoint.spec(name) or {}
        needed = spec.get("requires")
        if needed and needed not in merged:
            errors.setdefault(needed, f"missing property - '{name}' requires this property")
    if errors:
        raise ParamError(errors)
    return out
