"""CSV download and upload of a model's items (filter rules, Kea reservations), as the
controllers' download*/upload* actions do it."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fleet.lab.sim.base import Response
from fleet.lab.sim.opnsense import crud
from fleet.lab.sim.opnsense.crud import UUID_RE, Item
from fleet.lab.sim.opnsense.http import Call
from fleet.lab.sim.opnsense.models import Model, defaults

if TYPE_CHECKING:
    from fleet.lab.sim.opnsense.device import OPNsenseDevice


@dataclass(frozen=True)
class CsvTransfer:
    """The download/upload actions of one model's items, as route handlers."""

    model: Model
    filename: str

    def download(self, dev: OPNsenseDevice, call: Call) -> Any:
        fields = [f.name for f in self.model.stored]
        out = io.StringIO()
        w = csv.writer(out, delimiter=";", lineterminator="\n")
        w.writerow(["@uuid", *fields])
        for u, i in dev.store.items(self.model.key).items():
            w.writerow([u, *(i.get(f, "") for f in fields)])
        return Response(
            body=out.getvalue().encode(),
            headers={
                "Content-Type": "text/csv",
                "Content-Disposition": f"attachment; filename={self.filename}",
            },
        )

    def upload(self, dev: OPNsenseDevice, call: Call) -> Any:
        """Import `{"payload": csv}`: rows with a known @uuid update, others are added."""
        m = self.model
        if not call.is_post:
            return {"status": "failed"}
        payload = call.post.get("payload")
        if not isinstance(payload, str):
            return {"status": "failed"}
        sample = payload.split("\n", 1)[0]
        delim = ";" if sample.count(";") >= sample.count(",") else ","
        reader = csv.DictReader(io.StringIO(payload), delimiter=delim)
        items = dev.store.items(m.key)
        staged: dict[str, Item] = {}
        errors: dict[str, Any] = {}
        existing = new = 0
        for n, row in enumerate(reader):
            uuid = (row.pop("@uuid", "") or "").lower()
            if uuid in items:
                existing += 1
                base = items[uuid]
            else:
                new += 1
                base = defaults(m)
                uuid = uuid if UUID_RE.match(uuid) else dev.store.new_uuid()
            data = {k: v for k, v in row.items() if k is not None and v is not None}
            item = crud.merge_post(m, base, _nest(data))
            msgs = crud.check_item(dev, m, uuid, item)
            errors |= crud.validations(f"{m.post_key}.{n}", msgs)
            staged[uuid] = item
        if errors:
            return {"existing": existing, "new": new, "status": "failed", "validations": errors}
        items.update(staged)
        if staged:
            dev.save(call)
        return {"existing": existing, "new": new, "status": "ok"}


def _nest(flat: dict[str, str]) -> dict[str, Any]:
    """`a.b` column names → nested posted values."""
    out: dict[str, Any] = {}
    for k, v in flat.items():
        node = out
        parts = k.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = v
    return out
