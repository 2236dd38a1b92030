"""Per-site lock: a second holder is refused with who holds it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from fleet.errors import EXIT_LOCKED, Locked
from fleet.runner.lock import SiteLock


def test_second_lock_on_the_same_site_is_refused_naming_the_holder(tmp_path):
    first = SiteLock(tmp_path, "0450050K", "fleet deploy 0450050K")
    first.acquire()
    try:
        with pytest.raises(Locked) as err:
            SiteLock(tmp_path, "0450050K", "fleet drift --all").acquire()
        assert err.value.exit_code == EXIT_LOCKED
        message = err.value.message
        assert f"pid {os.getpid()}" in message
        assert "`fleet deploy 0450050K`" in message
        assert "since 20" in message
        # another site is not affected
        with SiteLock(tmp_path, "0180050A", "x"):
            pass
    finally:
        first.release()
    with SiteLock(tmp_path, "0450050K", "again") as again:
        assert json.loads(again.path.read_text())["command"] == "again"


def test_lock_of_a_dead_process_is_free(tmp_path):
    code = (
        "import sys; sys.path.insert(0, sys.argv[2]);"
        "from pathlib import Path; from fleet.runner.lock import SiteLock;"
        "SiteLock(Path(sys.argv[1]), 'S', 'crashed').acquire(); import os; os._exit(9)"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path), root], check=False)
    assert done.returncode == 9
    with SiteLock(tmp_path, "S", "after crash") as lock:
        assert json.loads(lock.path.read_text())["command"] == "after crash"
