"""Onboarding checkpoints in the run history (`onboard_stages`, history schema 5).

Each stage attempt is a row: site, stage, the onboarding's id, the fleet run that did the work
(a stage that runs a playbook), status, when it started and finished, who, and the fleet
process that owns it. A row left `running` by a process that is gone (kill -9, a crash) reads
as `killed`: the stage is unfinished and the next `fleet onboard` starts there again.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleet.history import History
from fleet.onboard.stages import DONE, KILLED, RUNNING
from fleet.runner.execute import now_iso
from fleet.runner.owner import Owner


@dataclass
class Checkpoint:
    site: str
    stage: str
    onboard_id: str
    run_id: str | None
    status: str
    started: str
    finished: str | None
    user: str
    message: str

    def to_dict(self) -> dict:
        return {
            "stage": self.stage,
            "status": self.status,
            "onboard_id": self.onboard_id,
            "run_id": self.run_id,
            "started": self.started,
            "finished": self.finished,
            "user": self.user,
            "message": self.message,
        }


class Checkpoints:
    def __init__(self, history: History):
        self.history = history

    def begin(self, site: str, stage: str, onboard_id: str, user: str) -> int:
        owner = Owner.current()
        with self.history.connect() as conn:
            cur = conn.execute(
                "INSERT INTO onboard_stages (site, stage, onboard_id, status, started, user,"
                " owner_host, owner_boot, owner_pid, owner_start)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    site,
                    stage,
                    onboard_id,
                    RUNNING,
                    now_iso(),
                    user,
                    owner.host,
                    owner.boot,
                    owner.pid,
                    owner.start,
                ),  # fmt: skip
            )
            return int(cur.lastrowid)

    def attach_run(self, row: int, run_id: str) -> None:
        with self.history.connect() as conn:
            conn.execute("UPDATE onboard_stages SET run_id = ? WHERE id = ?", (run_id, row))

    def end(self, row: int, status: str, message: str = "", run_id: str | None = None) -> None:
        with self.history.connect() as conn:
            conn.execute(
                "UPDATE onboard_stages SET status = ?, finished = ?, message = ?,"
                " run_id = COALESCE(?, run_id) WHERE id = ?",
                (status, now_iso(), message, run_id, row),
            )

    def latest(self, site: str) -> dict[str, Checkpoint]:
        """The last attempt of each stage of `site` (a dead owner's `running` reads `killed`)."""
        with self.history.connect() as conn:
            rows = conn.execute(
                "SELECT * FROM onboard_stages WHERE site = ? ORDER BY id", (site,)
            ).fetchall()
        found: dict[str, Checkpoint] = {}
        for row in rows:
            status, message = row["status"], row["message"]
            if status == RUNNING:
                owner = Owner(
                    row["owner_host"], row["owner_boot"], row["owner_pid"], row["owner_start"]
                )
                if owner.alive() is False:
                    status = KILLED
                    message = f"the fleet process (pid {owner.pid}) died during this stage" + (
                        f" (run {row['run_id']})" if row["run_id"] else ""
                    )
            found[row["stage"]] = Checkpoint(
                site=site,
                stage=row["stage"],
                onboard_id=row["onboard_id"],
                run_id=row["run_id"],
                status=status,
                started=row["started"],
                finished=row["finished"],
                user=row["user"],
                message=message,
            )
        return found

    def done(self, site: str) -> set[str]:
        return {name for name, c in self.latest(site).items() if c.status == DONE}
