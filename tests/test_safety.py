"""Safe by default: a crawl listens on no port, and page content never becomes shell or SQL.

The crawl test runs the real `fanwen crawl` against a slow fault portal on 127.0.0.1
(so it stays alive long enough to be inspected) whose articles carry SQL and shell
payloads, polls the sockets of the crawl's whole process tree for listening TCP
sockets, and checks the payloads are stored as plain text. The static tests scan the
package source for shell execution and for SQL built with string formatting.
"""

from __future__ import annotations

import ast
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import FANWEN, ROOT
from tests.faults import MAXSIZE_FOR_TESTS, article_html, serve_faults

SOURCE_DIRS = [ROOT / "fanwen_crawler", ROOT / "pipelines"]
CRAWL_TIMEOUT = 120
TCP_LISTEN = "0A"  # st column of /proc/net/tcp
SQL_WORDS = ("SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "PRAGMA", "ALTER")
# Names whose values come from fetched pages; they must never be formatted into SQL.
TAINTED = frozenset({"item", "page", "response", "body", "title", "text", "html", "url",
                     "keyword", "keywords", "tag", "tags", "value", "values", "paragraphs"})
FORBIDDEN_CALLS = {("os", "system"), ("os", "popen"), ("os", "execv"), ("os", "execvp"),
                   ("os", "spawnl"), ("os", "posix_spawn"), ("pty", "spawn")}


def hostile_pages(marker: Path) -> dict[str, bytes]:
    """Articles whose title and text are SQL / shell / format-string payloads."""
    payloads = [
        "'); DROP TABLE articles; --",
        '" OR 1=1; DELETE FROM crawl_errors WHERE "1"="1',
        f"$(touch {marker}) `touch {marker}` ; touch {marker} | touch {marker} && id",
        "%s %d %(x)s {0} {title} {{7*7}} ${{7*7}} \\x00 \\ ? ?1 :name",
    ]
    filler = ("本文是一篇用于安全测试的范文，正文包含特殊字符，存储时必须原样保存为普通文本，"
              "不得被当作命令或数据库语句执行。") * 3
    pages = {}
    for i, payload in enumerate(payloads):
        title = f"安全测试范文{i}：{payload}"
        html = article_html(title.replace("<", "&lt;"), [f"{filler}{payload}", filler, payload])
        pages[f"/fanwen/{9000 + i}.html"] = html.encode("utf-8")
    return pages


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _tree(root: int) -> set[int]:
    """`root` and all its descendants."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == pid and p not in tree]
        tree.update(kids)
        frontier.extend(kids)
    return tree


def _listening_inodes(pid: int) -> dict[str, str]:
    """inode → local address of every listening TCP socket in the pid's network namespace."""
    found = {}
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[3] == TCP_LISTEN:
                found[cols[9]] = f"{table} {cols[1]}"
    return found


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("safety")
    marker, db = tmp / "pwned", tmp / "corpus.db"
    pages = hostile_pages(marker)
    listening: list[str] = []
    polls = 0
    with serve_faults(delay=0.1, extra=pages) as portal:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            [*FANWEN, "crawl", portal.url, "--db", str(db), "--delay", "0", "--concurrency", "4",
             "--quiet", "--set", "DOWNLOAD_TIMEOUT=2", "--set", f"DOWNLOAD_MAXSIZE={MAXSIZE_FOR_TESTS}"],
            cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + CRAWL_TIMEOUT
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                listen = _listening_inodes(proc.pid)
                for pid in _tree(proc.pid):
                    listening += [f"pid {pid}: {listen[i]}" for i in _socket_inodes(pid) if i in listen]
                polls += 1
                time.sleep(0.05)
            out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    yield {"proc": proc, "out": out, "err": err, "db": db, "marker": marker,
           "pages": pages, "portal": portal, "listening": listening, "polls": polls}


def test_crawl_opens_no_listening_port(hostile_crawl) -> None:  # type: ignore[no-untyped-def]
    assert hostile_crawl["proc"].returncode == 0, hostile_crawl["err"][-3000:]
    assert hostile_crawl["polls"] >= 20, "the crawl ended too fast to be inspected"
    assert hostile_crawl["listening"] == []


def test_code_execution_consoles_are_off_even_with_overrides() -> None:
    from fanwen_crawler.crawl import build_settings

    settings = build_settings({"delay": 0.0, "set_options": ["LOG_LEVEL=DEBUG"]})
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
    extensions = settings.getdict("EXTENSIONS")
    assert extensions.get("scrapy.extensions.telnet.TelnetConsole", 0) is None
    assert extensions.get("scrapy.extensions.remote_control.RemoteControl", 0) is None


def test_payloads_are_stored_as_text_and_never_executed(hostile_crawl) -> None:  # type: ignore[no-untyped-def]
    db, marker = hostile_crawl["db"], hostile_crawl["marker"]
    assert not marker.exists(), "page content reached a shell"
    con = sqlite3.connect(db)
    try:
        tables = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
        assert {"articles", "crawl_errors", "crawl_runs"} <= tables
        assert con.execute("select count(*) from crawl_errors").fetchone()[0] > 0
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
        rows = con.execute("select title, body from articles where title like '安全测试范文%'")
        stored = {title: body for title, body in rows}
    finally:
        con.close()
    assert len(stored) == len(hostile_crawl["pages"])
    for i, payload in enumerate(["'); DROP TABLE articles; --",
                                 '" OR 1=1; DELETE FROM crawl_errors WHERE "1"="1']):
        assert f"安全测试范文{i}：{payload}" in stored
        assert stored[f"安全测试范文{i}：{payload}"].split("\n")[0].endswith(payload)


def _py_files() -> list[Path]:
    return sorted(p for d in SOURCE_DIRS for p in d.rglob("*.py"))


def _dotted(node: ast.AST) -> tuple[str, str] | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id, node.attr
    return None


# Modules that handle fetched pages: they run no programs at all.
CRAWL_PATH = ("spiders/", "extractors/", "pipelines/", "middlewares.py", "linkfilter.py",
              "failures.py", "crawl.py", "urls.py", "items.py", "settings.py")


def test_no_shell_execution_in_the_package() -> None:
    """No shell anywhere; no subprocess in the crawl path; elsewhere argument lists only."""
    problems = []
    for path in _py_files():
        rel = path.relative_to(ROOT).as_posix()
        crawl_path = any(part in rel for part in CRAWL_PATH)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{rel}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if "pty" in names or (crawl_path and any(
                        n.split(".")[0] == "subprocess" for n in names)):
                    problems.append(f"{where} imports subprocess/pty in the crawl path")
            elif isinstance(node, ast.Call):
                func = node.func
                if _dotted(func) in FORBIDDEN_CALLS:
                    problems.append(f"{where} calls {ast.unparse(func)}")
                if isinstance(func, ast.Name) and func.id in ("eval", "exec"):
                    problems.append(f"{where} calls {func.id}")
                if any(k.arg == "shell" for k in node.keywords):
                    problems.append(f"{where} passes shell=")
                dotted = _dotted(func)
                if (dotted and dotted[0] == "subprocess" and node.args
                        and not isinstance(node.args[0], ast.List | ast.Tuple)):
                    problems.append(f"{where} runs a command line that is not an argument list")
    assert problems == []


def _is_sql(node: ast.AST) -> bool:
    text = ast.unparse(node).upper()
    return any(word in text for word in SQL_WORDS)


def _names(node: ast.AST) -> set[str]:
    found = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            found.add(sub.attr)
    return found


def test_sql_is_never_formatted_from_page_values() -> None:
    """SQL text may interpolate table/column names from constants, never values."""
    problems = []
    for path in _py_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("execute", "executemany", "executescript")
                    and node.args):
                continue
            sql = node.args[0]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if isinstance(sql, ast.JoinedStr):
                for part in sql.values:
                    if isinstance(part, ast.FormattedValue) and _names(part.value) & TAINTED:
                        problems.append(f"{where} formats {ast.unparse(part.value)} into SQL")
            elif isinstance(sql, ast.BinOp) and isinstance(sql.op, ast.Mod) and _is_sql(sql.left):
                problems.append(f"{where} %-formats SQL")
            elif (isinstance(sql, ast.Call) and isinstance(sql.func, ast.Attribute)
                  and sql.func.attr == "format" and _is_sql(sql.func.value)):
                problems.append(f"{where} str.format()s SQL")
    assert problems == []
