"""A deterministic, fault-injecting 范文 portal on 127.0.0.1 for hostile-portal tests.

`serve_faults()` starts a ThreadingHTTPServer whose home page lists article-looking
URLs (`/fanwen/<id>.html`). A few are good articles; every other one produces exactly
one fault — a 5xx that then succeeds, 503 with Retry-After, 429, a stalled header or
body, a connection reset, a truncated body, a redirect loop or chain, a page over the
size limit, PDF/DOC/JPEG bytes, empty or malformed HTML, a lying charset, a soft 404,
a login wall. `FAULTS` says, for each, what a correct crawl must do with it.

The server only binds to loopback, counts every request per path, and never sleeps
longer than `STALL_SECONDS` (stalls end early when the server stops), so a test can
never hang on it.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STALL_SECONDS = 20.0
OVERSIZE_BYTES = 600_000
MAXSIZE_FOR_TESTS = 262_144  # pass as --set DOWNLOAD_MAXSIZE=… (oversize pages exceed it)
LONG_CHAIN = 14  # hops; more than REDIRECT_MAX_TIMES (10)
SHORT_CHAIN = 3

SENTENCES = [
    "今年以来，在上级党委的正确领导下，我们坚持以新时代中国特色社会主义思想为指导，认真贯彻落实各项决策部署。",
    "我们紧紧围绕年度目标任务，扎实推进各项工作，取得了明显成效，得到了上级领导和广大群众的肯定。",
    "一是加强理论学习，提高政治站位，坚持每周集中学习制度，组织干部职工深入学习党的路线方针政策。",
    "二是狠抓工作落实，提升服务水平，主动对接群众需求，优化办事流程，压缩办理时限。",
    "全年共办理各类事项三千余件，群众满意率达到百分之九十八以上，窗口服务质量明显提升。",
    "三是强化作风建设，营造良好氛围，严格执行八项规定精神，持续整治形式主义、官僚主义问题。",
    "干部队伍的精神面貌焕然一新，干事创业的热情不断高涨，团结协作的氛围日益浓厚。",
    "回顾一年来的工作，我们也清醒地认识到存在的不足：创新意识还不够强，工作方法还比较单一。",
    "个别同志的责任意识有待加强，学习的主动性和系统性还不够，理论联系实际的能力需要提高。",
    "明年，我们将针对这些问题认真整改，进一步完善制度机制，确保各项工作再上新台阶。",
    "作为一名教师，我始终热爱教育事业，关心爱护每一名学生，认真备课、上课、批改作业。",
    "在教学中，我注重激发学生的学习兴趣，采用多种教学方法，努力提高课堂教学效率。",
    "本学期我所任教的班级成绩稳步提升，期末考试平均分比上学期提高了六分，优秀率明显上升。",
    "我积极参加学校组织的各项教研活动，虚心向有经验的老教师请教，不断提高自身业务水平。",
    "在安全生产方面，公司全面落实安全生产责任制，层层签订安全生产责任书，全年未发生安全事故。",
    "我们定期开展安全隐患排查整治行动，共排查隐患一百二十处，全部整改到位，整改率百分之百。",
    "在市场营销方面，销售部门积极开拓新市场，新增客户八十余家，实现销售收入同比增长百分之十五。",
    "财务部门严格执行财务管理制度，加强预算管理和成本控制，全年节约各项开支二十余万元。",
    "尊敬的各位领导、各位同事：大家好！我今天演讲的题目是《青春在岗位上闪光》。",
    "青春是什么？青春是奋斗的汗水，是拼搏的足迹，是我们在平凡岗位上书写的不平凡故事。",
    "在社区工作的三年里，我走遍了辖区的每一栋楼，熟悉每一户居民的情况，帮助他们解决实际困难。",
    "疫情防控期间，我们坚守一线，日夜值守，用实际行动诠释了责任与担当。",
    "实习期间，我在指导老师的帮助下，熟悉了岗位的工作流程，掌握了基本的业务技能。",
    "通过这次社会实践，我深刻认识到理论知识与实践相结合的重要性，也看到了自己的不足。",
    "甲方与乙方本着平等自愿、诚实信用的原则，经友好协商，就房屋租赁事宜达成如下协议。",
    "租赁期限为两年，自二〇二三年九月一日起至二〇二五年八月三十一日止，租金按季度支付。",
    "读完这本书，我的心久久不能平静，书中主人公面对困难不屈不挠的精神深深地打动了我。",
    "这次活动由学生会主办，各班积极参与，共收到征文作品二百余篇，评选出一等奖五名。",
    "下一步，我们将继续加强队伍建设，完善考核机制，推动各项工作高质量发展。",
    "总之，过去的一年是不平凡的一年，也是收获的一年，我们将以更加饱满的热情投入到新的工作中。",
]
PARAGRAPHS = SENTENCES[:5]
GBK_PARAGRAPH = "这是一篇用国标编码保存的范文，页面头部却声明了万国码，解码器必须识别出真实的编码。"


@dataclass(frozen=True, slots=True)
class Fault:
    """One article-looking URL and the outcome a correct crawl must produce for it."""

    path: str
    kind: str
    expect: str
    """"stored" (an article row), "error" (a crawl_errors row, no article), or
    "skipped" (no article row; a crawl_errors row is preferred but not required)."""
    reasons: tuple[str, ...] = ()
    """Acceptable crawl_errors reasons (prefix match, e.g. "dropped:")."""
    status: int | None = None
    """Expected crawl_errors status, when one is recorded."""


def _fault(num: int, kind: str, expect: str, *reasons: str, status: int | None = None) -> Fault:
    return Fault(f"/fanwen/{num}.html", kind, expect, reasons, status)


GOOD = [f"/fanwen/{1000 + i}.html" for i in range(5)]
FAULTS: dict[str, Fault] = {
    f.kind: f
    for f in [
        _fault(2001, "5xx_then_ok", "stored"),
        _fault(2002, "503_retry_after_then_ok", "stored"),
        _fault(2003, "always_503", "error", "http_503", status=503),
        _fault(2004, "always_429", "error", "http_429", status=429),
        _fault(2005, "stall_headers", "error", "timeout"),
        _fault(2006, "stall_body", "error", "timeout"),
        _fault(2007, "connection_reset", "error", "connection_lost", "connection_reset"),
        _fault(2008, "truncated", "error", "truncated"),
        _fault(2009, "redirect_loop", "error", "redirect_loop", "too_many_redirects"),
        _fault(2010, "long_redirect_chain", "error", "too_many_redirects"),
        _fault(2011, "short_redirect_chain", "stored"),
        _fault(2012, "oversize_declared", "error", "too_large"),
        _fault(2013, "oversize_streamed", "error", "too_large"),
        _fault(2014, "pdf", "error", "not_html"),
        _fault(2015, "doc", "error", "not_html"),
        _fault(2016, "jpeg", "error", "not_html"),
        _fault(2017, "empty_html", "skipped", "empty_page"),
        _fault(2018, "garbage_html", "skipped", "not_article", "dropped:"),
        _fault(2019, "malformed_article", "stored"),
        _fault(2020, "wrong_charset", "stored"),
        _fault(2021, "soft_404", "skipped", "soft_404", "dropped:"),
        _fault(2022, "login_wall", "skipped", "login_wall", "dropped:"),
    ]
}
BY_PATH = {f.path: f for f in FAULTS.values()}


def article_html(title: str, paragraphs: list[str], *, charset: str = "utf-8",
                 extra_head: str = "") -> str:
    """A plain 范文 article page in the shape most portals use."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>{title}_故障范文网</title>{extra_head}</head>
<body>
<div class="nav"><a href="/">首页</a></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; 工作总结 &gt; 正文</div>
<div class="article">
<h1>{title}</h1>
<div class="info">发布时间：2023-08-11 来源：故障范文网 作者：编辑部</div>
<div class="content">
{body}
</div>
</div>
<div class="footer">Copyright © 故障范文网 版权所有</div>
</body></html>"""


def home_html(paths: list[str]) -> str:
    items = "\n".join(
        f'<li><a href="{p}">工作总结范文第{i + 1}篇（{p.rsplit("/", 1)[-1][:-5]}）</a>'
        f"<span>2023-08-11</span></li>"
        for i, p in enumerate(paths)
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>故障范文网</title></head>
<body><div class="nav"><a href="/">首页</a></div>
<h2>最新范文</h2>
<ul class="list">
{items}
</ul>
<div class="footer">Copyright © 故障范文网</div>
</body></html>"""


def good_article(path: str) -> tuple[str, list[str]]:
    """Title and paragraphs of the good article at `path` (deterministic, distinct per path)."""
    num = int(path.rsplit("/", 1)[-1].split(".")[0])
    rng = random.Random(num)
    picked = rng.sample(SENTENCES, 12)
    paragraphs = ["".join(picked[i:i + 2]) for i in range(0, 12, 2)]
    paragraphs[0] = f"（编号{num}）" + paragraphs[0]
    return f"{num}年度个人工作总结范文", paragraphs


SOFT_404 = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>页面不存在_故障范文网</title>
</head><body><div class="nav"><a href="/">首页</a></div><div class="box"><h1>404</h1>
<p>抱歉，您访问的页面不存在或已被删除！</p><p><a href="/">返回首页</a></p></div></body></html>"""

LOGIN_WALL = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>会员登录_故障范文网</title>
</head><body><div class="nav"><a href="/">首页</a></div>
<div class="login"><h2>请登录后查看全文</h2>
<form action="/member/login.php" method="post">
<label>用户名：<input type="text" name="user"></label>
<label>密码：<input type="password" name="pwd"></label>
<input type="submit" value="登录"> <a href="/member/reg.php">免费注册</a>
</form></div></body></html>"""

MALFORMED = """<html><head><title>2019年度工作计划范文_故障范文网</title><meta charset=utf-8>
<body><div class="article"><h1>2019年度工作计划范文</h2><div class="content"><p>{p0}<p>{p1}<div><p>{p2}
<p>{p3}</span></b></i><table><tr><td>{p4}</div>
<!-- unterminated comment"""

PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n" + b"\x00\xff" * 500 + b"\n%%EOF\n"
DOC_BYTES = bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 1000
JPEG_BYTES = bytes.fromhex("ffd8ffe000104a46494600") + bytes(range(256)) * 4 + b"\xff\xd9"


@dataclass
class FaultPortal:
    """The running server: its base URL and what was requested."""

    url: str
    requests: list[str] = field(default_factory=list)
    hits: Counter[str] = field(default_factory=Counter)
    hit_times: dict[str, list[float]] = field(default_factory=dict)
    extra: dict[str, bytes] = field(default_factory=dict)
    """Additional HTML pages (path → UTF-8 bytes) linked from the home page."""
    delay: float = 0.0
    """Seconds every response waits before it is sent (a slow portal)."""
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def article_paths(self) -> list[str]:
        return [*GOOD, *(f.path for f in FAULTS.values()), *self.extra]

    def full(self, path: str) -> str:
        return self.url.rstrip("/") + path


class _Handler(BaseHTTPRequestHandler):
    server_version = "FaultPortal/1.0"
    portal: FaultPortal  # set on the subclass made per server

    def log_message(self, format: str, *args: object) -> None:
        pass

    # -- helpers ---------------------------------------------------------------------
    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _html(self, text: str, status: int = 200) -> None:
        self._send(status, text.encode("utf-8"))

    def _redirect(self, location: str) -> None:
        self._send(302, b"", headers={"Location": location})

    def _stall(self) -> None:
        self.portal.stop.wait(STALL_SECONDS)

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    # -- routing ---------------------------------------------------------------------
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        with self.portal.lock:
            self.portal.requests.append(self.path)
            self.portal.hits[path] += 1
            hit = self.portal.hits[path]
            self.portal.hit_times.setdefault(path, []).append(time.monotonic())
        if self.portal.delay and path != "/robots.txt":
            self.portal.stop.wait(self.portal.delay)
        if path == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /member/\n", "text/plain")
        elif path in ("/", "/index.html"):
            self._html(home_html(self.portal.article_paths()))
        elif path in GOOD:
            self._html(article_html(*good_article(path)))
        elif path in self.portal.extra:
            self._send(200, self.portal.extra[path])
        elif path in BY_PATH:
            self._fault(BY_PATH[path].kind, path, hit)
        elif path.startswith("/go/"):
            self._chain(path)
        else:
            self._html("<html><body><h1>404 Not Found</h1></body></html>", 404)

    def _chain(self, path: str) -> None:
        # /go/<chain>/<hop>: hop n redirects to n+1 until the chain's last hop.
        _, _, chain, hop = path.split("/")
        n, last = int(hop), (LONG_CHAIN if chain == "long" else SHORT_CHAIN)
        if n < last:
            self._redirect(f"/go/{chain}/{n + 1}")
        else:
            self._html(article_html(*good_article(f"/fanwen/{3000 + last}.html")))

    def _fault(self, kind: str, path: str, hit: int) -> None:
        title, paragraphs = good_article(path)
        page = article_html(title, paragraphs).encode("utf-8")
        handlers: dict[str, Callable[[], None]] = {
            "5xx_then_ok": lambda: self._send(500, b"oops") if hit == 1 else self._send(200, page),
            "503_retry_after_then_ok": lambda: (
                self._send(503, b"busy", headers={"Retry-After": "1"}) if hit == 1
                else self._send(200, page)),
            "always_503": lambda: self._send(503, b"busy", headers={"Retry-After": "1"}),
            "always_429": lambda: self._send(429, b"slow down", headers={"Retry-After": "1"}),
            "redirect_loop": lambda: self._redirect("/fanwen/2109.html"),
            "redirect_loop_back": lambda: self._redirect("/fanwen/2009.html"),
            "long_redirect_chain": lambda: self._redirect("/go/long/1"),
            "short_redirect_chain": lambda: self._redirect("/go/short/1"),
            "oversize_declared": lambda: self._send(200, self._oversize()),
            "pdf": lambda: self._send(200, PDF_BYTES, "application/pdf"),
            "doc": lambda: self._send(200, DOC_BYTES, "application/msword"),
            "jpeg": lambda: self._send(200, JPEG_BYTES, "image/jpeg"),
            "empty_html": lambda: self._send(200, b""),
            "garbage_html": lambda: self._send(200, bytes(range(256)) * 8 + b"<<<>>>&&;;"),
            "malformed_article": lambda: self._html(MALFORMED.format(
                **{f"p{i}": p for i, p in enumerate(paragraphs)})),
            "wrong_charset": lambda: self._send(200, article_html(
                title, [GBK_PARAGRAPH, *paragraphs]).replace("©", "(c)").encode("gbk")),
            "soft_404": lambda: self._html(SOFT_404),
            "login_wall": lambda: self._html(LOGIN_WALL),
            "connection_reset": self._reset,
        }
        if kind in handlers:
            handlers[kind]()
        elif kind == "stall_headers":
            self._stall()
        elif kind == "stall_body":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page[:200])
            self.wfile.flush()
            self._stall()
        elif kind == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page) + 4000))
            self.end_headers()
            self.wfile.write(page)
            self.close_connection = True
        elif kind == "oversize_streamed":
            # No Content-Length: the size is only known while the body arrives.
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(self._oversize())
            self.close_connection = True

    @staticmethod
    def _oversize() -> bytes:
        filler = "".join(PARAGRAPHS)
        count = OVERSIZE_BYTES // len(filler.encode("utf-8")) + 1
        return article_html("超大页面范文", [filler] * count).encode("utf-8")

    def do_HEAD(self) -> None:
        self._send(405, b"")


# The redirect loop's partner: /fanwen/2109.html → /fanwen/2009.html → …
BY_PATH["/fanwen/2109.html"] = Fault("/fanwen/2109.html", "redirect_loop_back", "error")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that time out and hang up are expected here


@contextmanager
def serve_faults(*, delay: float = 0.0, extra: dict[str, bytes] | None = None
                 ) -> Iterator[FaultPortal]:
    """Serve the fault portal on 127.0.0.1 (a free port) until the block ends."""
    portal = FaultPortal(url="", delay=delay, extra=dict(extra or {}))
    handler = type("Handler", (_Handler,), {"portal": portal})
    server = _Server(("127.0.0.1", 0), handler)
    portal.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, name="fault-portal", daemon=True)
    thread.start()
    try:
        yield portal
    finally:
        portal.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
