"""The progress bar appears on a terminal (pages/s, articles, queue) and not otherwise."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import termios
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FANWEN, ROOT

pytestmark = pytest.mark.slow


def test_progress_bar_on_a_tty_only(portal: Any, tmp_path: Path) -> None:
    master, slave = os.openpty()
    # A real terminal has a size; tqdm draws nothing on a 0-column one.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    args = [*FANWEN, "crawl", portal.url, "--db", str(tmp_path / "c.db"), "--delay", "0",
            "--no-keywords", "--max-articles", "5"]
    chunks: list[bytes] = []
    try:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=slave)
        # Read while it runs (a full pty buffer would block it) and until it is drained:
        # Linux discards unread pty output once the last slave descriptor closes.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                chunks.append(os.read(master, 65536))
            elif proc.poll() is not None:
                break
        proc.wait(timeout=5)
    finally:
        os.close(slave)
        os.close(master)
    tty = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0
    assert "page/s" in tty and "articles=" in tty and "queue=" in tty

    quiet = subprocess.run([*args, "--db", str(tmp_path / "d.db")], cwd=ROOT,
                           capture_output=True, text=True, timeout=120, check=False)
    assert quiet.returncode == 0
    assert "page/s" not in quiet.stderr and "queue=" not in quiet.stderr
