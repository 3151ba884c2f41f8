"""Every subcommand's --help shows one example; a busy port is one line and exit code 5."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from click.testing import CliRunner

from fanwen_crawler.cli import EXIT_PORT_IN_USE, main
from tests.conftest import run_fanwen

COMMANDS = sorted(main.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_help_has_one_example(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines.count("  Example:") == 1, result.output
    example = lines[lines.index("  Example:") + 1].strip()
    assert example == f"fanwen {name}" or example.startswith(f"fanwen {name} "), example


def help_examples() -> dict[str, str]:
    """name → the example command line of each subcommand's --help (for the docs test)."""
    examples = {}
    for name in COMMANDS:
        lines = CliRunner().invoke(main, [name, "--help"]).output.splitlines()
        if "  Example:" in lines:
            examples[name] = lines[lines.index("  Example:") + 1].strip()
    return examples


@pytest.mark.parametrize("command", ["sample-portal", "serve"])
def test_busy_port_is_one_line_and_exit_5(command: str, tmp_path: Any) -> None:
    db = tmp_path / "c.db"
    db.write_bytes(b"")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        args = [command, "--port", port] + (["--db", str(db)] if command == "serve" else [])
        proc = run_fanwen(*args, timeout=60)
    assert proc.returncode == EXIT_PORT_IN_USE, proc.stderr[-2000:]
    assert proc.stderr.count("\n") == 1 and f"port {port}" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
