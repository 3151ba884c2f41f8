"""The docs are executed: every shell command in README.md and docs/*.md runs as shown.

The commands are read from the docs when the tests run (fenced `sh`/`bash`/`shell`/`cron`
blocks; a cron line runs without its five schedule fields), in document order, in one
shared workspace against the bundled sample portal. Only what cannot differ between the
docs and this machine is substituted: the example portal's URL (and `URL`) by the served
portal's, fixed ports by free ones, `/srv/fanwen` and `.venv/bin/` by the workspace and
this virtualenv, Redis' host by a local redis-server, and, for speed, every crawl runs with
`--delay 0` and a short `--idle-exit`. Files a reader would have (a saved page, pages/,
shard databases, a scrapyd.conf) are prepared from one crawl of the portal, and that
crawl's corpus is shared by every command that reads or extends a corpus.

A block that cannot run here is marked in the doc source, on the line before its fence:
`<!-- docs-test: skip: REASON -->`; its commands are reported as skipped with the reason.
A checking tool whose exit code 1 is its verdict is marked `<!-- docs-test: verdict: … -->`:
it must run through (exit 0 or 1, no traceback).
Servers (`fanwen sample-portal`, `fanwen serve`, `scrapyd &`) pass once they answer HTTP.
`fanwen demo`'s "Next, try" suggestions are run too, and each subcommand's --help example.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_LANGS = {"sh", "bash", "shell", "console", "cron"}
PYTHON_LANGS = {"python", "py"}
FENCE = re.compile(r"^```\s*([\w+-]*)\s*$")
SKIP_MARK = re.compile(r"<!--\s*docs-test:\s*skip:\s*(.+?)\s*-->")
# A checking tool whose exit code 1 is its verdict: it must run through, 0 or 1.
VERDICT_MARK = re.compile(r"<!--\s*docs-test:\s*verdict:\s*(.+?)\s*-->")
VENV_BIN = Path(sys.executable).parent
EXAMPLE_HOSTS = ("https://www.example-fanwen.cn/", "http://www.example-fanwen.cn/")
SERVERS = ("fanwen sample-portal", "fanwen serve", "portalgen serve")
TIMEOUT = 300


@dataclass(frozen=True)
class DocCommand:
    """One shell command of the docs, where it is, and why it is skipped (if it is)."""

    source: str  # "README.md:42"
    text: str
    lang: str
    skip: str | None = None
    verdict: bool = False


def _commands_of_block(lines: list[str], start: int, lang: str, name: str,
                       skip: str | None) -> Iterator[DocCommand]:
    pending: list[str] = []
    first = start
    for offset, line in enumerate(lines):
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if lang == "cron":
            yield DocCommand(f"{name}:{start + offset}", stripped.split(None, 5)[5]
                             .replace("\\%", "%"), lang, skip)
            continue
        if not pending:
            first = start + offset
        pending.append(line.rstrip())
        text = "\n".join(pending)
        if text.endswith("\\"):
            continue
        try:
            shlex.split(text, comments=True)
        except ValueError:  # an open quote: the command goes on on the next line
            continue
        yield DocCommand(f"{name}:{first}", text.strip(), lang, skip)
        pending = []
    assert not pending, f"{name}:{first}: unterminated command"


def doc_commands() -> list[DocCommand]:
    """Every shell command of README.md and docs/*.md, in document order."""
    found: list[DocCommand] = []
    for path in DOCS:
        lines = path.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            match = FENCE.match(lines[i])
            if not match:
                i += 1
                continue
            lang = match.group(1).lower()
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
            before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            mark = SKIP_MARK.search(before)
            skip = mark.group(1) if mark else None
            if lang in SHELL_LANGS:
                found.extend(
                    DocCommand(c.source, c.text, c.lang, c.skip, bool(VERDICT_MARK.search(before)))
                    for c in _commands_of_block(lines[i + 1:end], i + 2, lang, path.name, skip))
            elif lang in PYTHON_LANGS:  # a snippet runs as one program
                code = "\n".join(lines[i + 1:end])
                found.append(DocCommand(f"{path.name}:{i + 2}",
                                        f"python -c {shlex.quote(code)}", lang, skip))
            i = end + 1
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read()  # type: ignore[no-any-return]


def _wait_http(url: str, proc: subprocess.Popen[Any], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            _get(url)
            return
        except OSError:
            assert proc.poll() is None, f"server for {url} exited with {proc.returncode}"
            assert time.monotonic() < deadline, f"nothing answered at {url}"
            time.sleep(0.2)


def _stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


@dataclass
class Workspace:
    root: Path
    env: dict[str, str]
    subs: list[tuple[str, str]]
    background: list[subprocess.Popen[Any]]
    redis: bool
    scrapyd_port: int

    def substitute(self, text: str) -> str:
        for old, new in self.subs:
            text = re.sub(old, new, text)
        if re.search(r"\bfanwen crawl\b", text):
            if re.search(r"--delay \S+", text):
                text = re.sub(r"--delay \S+", "--delay 0", text)
            else:  # the first one is the command (a later one may be in a message)
                text = re.sub(r"\bfanwen crawl\b", "fanwen crawl --delay 0", text, count=1)
            text = re.sub(r"--idle-exit \S+", "--idle-exit 2", text)
        if re.search(r"\bscrapy crawl\b", text):  # = --delay 0
            text = re.sub(r"\bscrapy crawl\b", "scrapy crawl -s DOWNLOAD_DELAY=0 "
                          "-s AUTOTHROTTLE_ENABLED=False", text, count=1)
        return text

    def run(self, text: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", text], cwd=self.root, env=self.env,
                              capture_output=True, text=True, timeout=TIMEOUT, check=False)

    def spawn(self, text: str) -> subprocess.Popen[Any]:
        proc = subprocess.Popen(["bash", "-c", f"exec {text}"], cwd=self.root, env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        self.background.append(proc)
        return proc


SCRAPYD_CONF = """[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
eggs_dir = {root}/scrapyd/eggs
logs_dir = {root}/scrapyd/logs
dbs_dir = {root}/scrapyd/dbs
items_dir =
max_proc = 1
poll_interval = 0.5
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    from fanwen_crawler.sample_portal import serve_portal

    root = tmp_path_factory.mktemp("docs")
    # Project-root packages (portalgen, evaluation, benchmarks) import as from the root.
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    background: list[subprocess.Popen[Any]] = []
    with serve_portal(host="127.0.0.1", port=0) as portal:
        url = portal.url
        # One crawl of the portal, shared by every command that reads or extends a corpus.
        data = root / "data"
        crawl = subprocess.run(
            [str(VENV_BIN / "fanwen"), "crawl", url, "--db", str(data / "corpus.db"),
             "--profile", "sample", "--delay", "0", "--quiet"],
            cwd=root, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        srv = root / "srv"
        (srv / "data").mkdir(parents=True)
        for copy in (data / "demo.db", root / "corpus.db", data / "shard-prepared-1.db",
                     root / "shard-1.db", srv / "data" / "corpus.db"):
            shutil.copy(data / "corpus.db", copy)
        # Pages a reader has saved: one article, and a few pages of each kind.
        article = portal.truth.articles[0].url
        (root / "saved.html").write_bytes(_get(url.rstrip("/") + article))
        (root / "pages").mkdir()
        for i, path in enumerate([article, *list(portal.truth.lists)[:2], "/"]):
            (root / "pages" / f"{i}.html").write_bytes(_get(url.rstrip("/") + path))
        scrapyd_port = _free_port()
        (root / "scrapyd.conf").write_text(SCRAPYD_CONF.format(port=scrapyd_port, root=root))
        shutil.copy(ROOT / "scrapy.cfg", root)  # `scrapy crawl` runs from the project root

        redis_server = shutil.which("redis-server")
        redis_url = "redis://127.0.0.1:1/0"
        if redis_server:
            port = _free_port()
            background.append(subprocess.Popen(
                [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no"], cwd=root, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True))
            redis_url = f"redis://127.0.0.1:{port}/0"
        hosts = "|".join(re.escape(h) for h in EXAMPLE_HOSTS)
        subs = [
            (rf"(?:{hosts})", url),
            (r"(?<=\s)URL(?=\s|$)", url),
            (re.escape("http://127.0.0.1:8765/"), url),
            (r"\b8765\b", str(_free_port())),
            (r"\b8001\b", str(_free_port())),
            (r"\b6800\b", str(scrapyd_port)),
            (r"redis://redis\.internal:6379/0", redis_url),
            (r"/srv/fanwen", str(srv)),
            (r"(?<![\w/])\.venv/bin/", f"{VENV_BIN}/"),
        ]
        ws = Workspace(root, env, subs, background, bool(redis_server), scrapyd_port)
        try:
            yield ws
        finally:
            for proc in reversed(background):
                _stop(proc)


COMMANDS = doc_commands()


def test_the_docs_have_commands_and_marked_skips_are_few() -> None:
    assert len(COMMANDS) >= 30, [c.source for c in COMMANDS]
    marked = {(c.source.split(":")[0], c.skip) for c in COMMANDS if c.skip}
    assert len(marked) <= 5, sorted(marked)  # blocks marked "docs-test: skip" (listed)


def _served_port(text: str) -> int:
    match = re.search(r"--port (\d+)", text)
    assert match, text
    return int(match.group(1))


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.source)
def test_doc_command_runs_as_shown(command: DocCommand, workspace: Workspace) -> None:
    if command.skip:
        pytest.skip(f"marked in the doc: {command.skip}")
    text = workspace.substitute(command.text)
    if "redis://" in text and not workspace.redis:
        pytest.skip("redis-server is not installed (run scripts/install-redis.sh)")
    if background := re.fullmatch(r"(.+?)\s*&\s*(?:#.*)?", text, re.DOTALL):
        # A server the next commands use (scrapyd &): started, kept until the end.
        proc = workspace.spawn(background.group(1))
        _wait_http(f"http://127.0.0.1:{workspace.scrapyd_port}/daemonstatus.json", proc)
        return
    if any(re.search(rf"\b{s}\b", text) for s in SERVERS):
        text = re.sub(r"--port \d+", f"--port {_free_port()}", text)
        proc = workspace.spawn(text.split("#")[0].strip())
        try:
            _wait_http(f"http://127.0.0.1:{_served_port(text)}/", proc)
        finally:
            _stop(proc)
        return
    proc = workspace.run(text)
    ok = (0, 1) if command.verdict else (0,)
    assert proc.returncode in ok and "Traceback" not in proc.stderr, \
        f"{command.source}: {text}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    if command.lang == "cron":
        # cron mails whatever a job prints: a successful run prints nothing.
        assert proc.stdout == proc.stderr == "", (proc.stdout[-2000:], proc.stderr[-2000:])
        log = re.search(r"--log-file ((?:\$\([^)]*\)|\S)+)", text)
        if log:
            cwd = re.match(r"cd (\S+) && ", text)
            written = workspace.run(f"cd {cwd.group(1) if cwd else '.'} && "
                                    f"cat {log.group(1)}").stdout
            assert "articles this run:" in written, written[-2000:]
    if re.search(r"\bfanwen demo\b", text):
        _run_demo_suggestions(proc.stdout, workspace)


def _run_demo_suggestions(output: str, workspace: Workspace) -> None:
    suggested = output.split("Next, try:", 1)[1].strip().splitlines()
    assert suggested, output
    for line in suggested:
        text = workspace.substitute(line.strip())
        proc = workspace.run(text)
        assert proc.returncode == 0, f"demo suggests {line!r}:\n{proc.stderr[-3000:]}"


def _options(text: str) -> set[str]:
    return set(re.findall(r"(?<!\S)--[\w-]+", text))


def _covered_by_docs(name: str, example: str) -> bool:
    """A doc command runs subcommand `name` with at least the example's options."""
    return any(re.search(rf"\bfanwen {re.escape(name)}\b", c.text) and not c.skip
               and _options(example) <= _options(c.text) for c in COMMANDS)


def test_help_examples_run_as_shown(workspace: Workspace) -> None:
    """The example of each subcommand's --help (servers: they answer)."""
    from tests.test_cli_help import help_examples

    failed = []
    for name, example in help_examples().items():
        text = workspace.substitute(example)
        if _covered_by_docs(name, example):
            continue  # the docs run this subcommand with these options already
        if name in ("sample-portal", "serve"):
            text = re.sub(r"--port \d+", f"--port {_free_port()}", text)
            proc = workspace.spawn(text)
            try:
                _wait_http(f"http://127.0.0.1:{_served_port(text)}/", proc)
            finally:
                _stop(proc)
            continue
        done = workspace.run(text)
        if done.returncode != 0:
            failed.append((example, done.stderr[-1500:]))
    assert not failed, failed
