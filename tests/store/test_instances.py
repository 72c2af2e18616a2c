"""Which app processes are alive (:mod:`bot.store.instances`): a process on this host that is
gone, or killed and not yet reaped, is dead at once; its requests need not wait for its
heartbeat to go stale."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from bot.store.instances import _pid_running


def test_a_killed_process_not_yet_reaped_counts_as_dead() -> None:
    """A zombie (killed, its parent has not waited for it yet) holds its pid but runs nothing:
    its requests are taken over at once, not after its heartbeat goes stale."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert _pid_running(child.pid)
        child.send_signal(signal.SIGKILL)
        for _ in range(100):  # not waited for: a zombie until reaped
            if not _pid_running(child.pid):
                break
            time.sleep(0.02)
        assert not _pid_running(child.pid)
    finally:
        child.wait()
    assert not _pid_running(child.pid)
