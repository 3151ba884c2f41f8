"""Scoring on the real-page sets (issue #10): per set, per site, forum pages apart.

Body score: character-bigram F1 after NFKC and removing whitespace and Unicode
punctuation (the sets' own README convention), over *gold-neutral* text:

- **Credit lines are removed from both sides before scoring.** The real-zh gold keeps
  credit and byline lines inconsistently (责编/责任编辑/编辑/审读/监制/来源 lines and
  《…日报》（…版） print credits in some pages, not in others; its README says so), while
  CWCE's gold leaves them out. A line that is only such a credit is dropped from the
  gold and from every extractor's output alike (`CREDIT_LINE`), so no extractor gains
  or loses by its credit policy. The raw F1 (no adjustment) is reported alongside.
- Nothing else in the gold is changed, and no rule here looks at one page.

Also reported: the share of gold lines found whole (normalised), pages whose body is
empty, and on CWCE (which has a gold date) the date at the precision the gold states
(day, or month for "1998-3"); the set has no gold title, real-zh has neither.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from evaluation.adapters import Adapter, Prediction
from evaluation.fixtures import Case, decode_page
from evaluation.metrics import bigrams
from evaluation.realsets import SHORT_NAMES, RealPage

MAGIC_PYTHON = Path(__file__).resolve().parents[1] / ".venv-magic" / "bin" / "python"
MAGIC_WORKER = Path(__file__).resolve().parent / "magic_worker.py"
# A line that is only a credit: (责编：…), 【责任编辑：…】, 编辑/…, 审读：…, 来源：…,
# 《人民日报》（2024年05月10日 04 版）, 新华社发（…摄）. Short lines only.
CREDIT_LINE = re.compile(
    r"^[\s(（【\[]*(?:责任编辑|责编|编辑|编审|审读|审\s*读|审核|监制|校对|统筹|策划|制作|"
    r"来源|稿源|出处|作者|文|图|摄影|记者|通讯员|本文来源|原文)\s*[:：/丨|]"
    r"|^[\s(（【\[]*(?:责任编辑|责编)"
    r"|^《[^》]{2,12}》\s*[(（][^)）]{0,30}版\s*[)）]\s*$"
)
CREDIT_LINE_MAX = 40
PUNCT_OR_SPACE = re.compile(r"[\s\u3000\u00a0]+")


def fold(text: str | None) -> str:
    """NFKC, no whitespace, no Unicode punctuation (category P*)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if not ch.isspace()
                   and not unicodedata.category(ch).startswith("P"))


def is_credit_line(line: str) -> bool:
    line = line.strip()
    return len(line) <= CREDIT_LINE_MAX and bool(CREDIT_LINE.search(line))


def drop_credits(text: str | None) -> str:
    return "\n".join(ln for ln in (text or "").splitlines() if not is_credit_line(ln))


def f1(predicted: str | None, gold: str | None) -> float:
    """Bigram F1 of the folded texts (1.0 when both are empty)."""
    pred, ref = bigrams(fold(predicted)), bigrams(fold(gold))
    if not pred and not ref:
        return 1.0
    overlap = sum((pred & ref).values())
    if not overlap:
        return 0.0
    p, r = overlap / sum(pred.values()), overlap / sum(ref.values())
    return 2 * p * r / (p + r)


def lines_whole(predicted: str | None, gold: str) -> float:
    """Share of gold lines (of ≥ 2 folded characters) found whole in the prediction."""
    body = fold(predicted)
    lines = [fold(ln) for ln in gold.splitlines()]
    lines = [ln for ln in lines if len(ln) >= 2]
    if not lines:
        return 1.0
    return sum(ln in body for ln in lines) / len(lines)


YMD = re.compile(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2}))?")


def date_key(value: str | None) -> tuple[int, ...] | None:
    """(y, m, d) or (y, m) of the first date in `value`."""
    if not value:
        return None
    m = YMD.search(unicodedata.normalize("NFKC", value))
    if not m:
        return None
    parts = [int(m.group(1)), int(m.group(2))] + ([int(m.group(3))] if m.group(3) else [])
    return tuple(parts)


def date_right(predicted: str | None, gold: str) -> bool:
    """Same day (or month, when the gold states only a month)."""
    ref, got = date_key(gold), date_key(predicted)
    return ref is not None and got is not None and got[: len(ref)] == ref


@dataclass(slots=True)
class RealResult:
    page: RealPage
    extractor: str
    prediction: Prediction
    seconds: float
    error: str | None = None
    scores: dict[str, float] = field(default_factory=dict)


def as_case(page: RealPage) -> Case:
    short = SHORT_NAMES[page.dataset]
    return Case(name=f"{short}/{page.page_id}", family=page.site, path=Path(page.page_id),
                body=page.html, url=page.url, content_type="text/html",
                expected={"page_type": "article", "paragraphs": page.gold_body.splitlines()})


def score(page: RealPage, pred: Prediction, has_date: bool) -> dict[str, float]:
    gold = drop_credits(page.gold_body)
    body = drop_credits(pred.body)
    s = {
        "f1": f1(body, gold),
        "f1_raw": f1(pred.body, page.gold_body),
        "whole": lines_whole(pred.body, gold),
        "empty": float(not fold(pred.body)),
    }
    if has_date and page.gold_date and date_key(page.gold_date):
        s["date"] = float(date_right(pred.published_at, page.gold_date))
    return s


def magic_available() -> str | None:
    """None when the magic-html virtualenv answers, else why not."""
    if not MAGIC_PYTHON.exists():
        return ("no .venv-magic (magic-html needs Python >= 3.12; `make .venv-magic` builds it "
                "when pyenv has a 3.12)")
    probe = subprocess.run([str(MAGIC_PYTHON), "-c", "import magic_html"],
                           capture_output=True, text=True, check=False)
    return None if probe.returncode == 0 else f"magic_html not importable: {probe.stderr[-200:]}"


def run_magic(pages: Sequence[RealPage]) -> list[tuple[Prediction, float, str | None]]:
    """magic-html over every page, in one subprocess of .venv-magic."""
    jobs = []
    for page in pages:
        text, _ = decode_page(page.html, "text/html")
        jobs.append(json.dumps({"html": text, "url": page.url, "kind": page.kind},
                               ensure_ascii=False))
    done = subprocess.run([str(MAGIC_PYTHON), str(MAGIC_WORKER)], input="\n".join(jobs) + "\n",
                          capture_output=True, text=True, check=True)
    out = []
    for line in done.stdout.splitlines():
        data = json.loads(line)
        out.append((Prediction(title=data["title"], body=data["text"] or ""),
                    float(data["seconds"]), data["error"]))
    if len(out) != len(pages):
        raise RuntimeError(f"magic-html worker answered {len(out)} of {len(pages)} pages")
    return out


def run_real(
    pages: Sequence[RealPage], adapters: Sequence[Adapter], *, magic: bool = False,
    progress: bool = True,
) -> list[RealResult]:
    """Every adapter (and magic-html in its subprocess) on every real page."""
    results: list[RealResult] = []
    if pages:  # one untimed call each first: lazy imports and caches are not one page's bill
        warm = as_case(pages[0])
        warm_text, _ = decode_page(pages[0].html, "text/html")
        for adapter in adapters:
            try:
                adapter.extract(warm, warm_text)
            except Exception:  # failures are recorded in the timed pass
                pass
    bar = tqdm(total=len(pages) * len(adapters), desc="real pages", unit="page",
               file=sys.stderr, disable=not progress)
    for page in pages:
        case = as_case(page)
        text, _ = decode_page(page.html, "text/html")
        for adapter in adapters:
            try:
                pred, seconds = adapter.extract(case, text)
                error = None
            except Exception as exc:  # a raising extractor scores 0 on the page
                pred, seconds, error = Prediction(), 0.0, f"{type(exc).__name__}: {exc}"
            r = RealResult(page, adapter.name, pred, seconds, error)
            r.scores = score(page, pred, error is None and "published_at" in adapter.fields)
            results.append(r)
            bar.update()
    bar.close()
    if magic:
        for page, (pred, seconds, error) in zip(pages, run_magic(pages), strict=True):
            r = RealResult(page, "magic-html", pred, seconds, error)
            r.scores = score(page, pred, False)
            results.append(r)
    return results


def group_key(page: RealPage) -> str:
    """real-zh articles, real-zh forum, cwce."""
    short = SHORT_NAMES[page.dataset]
    return f"{short} forum" if page.kind == "forum" else f"{short} articles"


def aggregate(results: Sequence[RealResult]) -> dict[str, dict[str, dict[str, float]]]:
    """{group: {extractor: {metric: value}}}."""
    acc: dict[str, dict[str, list[RealResult]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        acc[group_key(r.page)][r.extractor].append(r)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for group, by_ext in sorted(acc.items()):
        out[group] = {}
        for ext, rows in by_ext.items():
            f1s = [r.scores["f1"] for r in rows]
            dates = [r.scores["date"] for r in rows if "date" in r.scores]
            secs = sum(r.seconds for r in rows)
            out[group][ext] = {
                "pages": len(rows),
                "f1": statistics.fmean(f1s),
                "f1_median": statistics.median(f1s),
                "f1_raw": statistics.fmean(r.scores["f1_raw"] for r in rows),
                "f1_min": min(f1s),
                "below_half": sum(v < 0.5 for v in f1s),
                "whole": statistics.fmean(r.scores["whole"] for r in rows),
                "empty": sum(r.scores["empty"] for r in rows),
                "date": statistics.fmean(dates) if dates else float("nan"),  # n/a: no field
                "date_pages": len(dates),
                "ms": 1000 * secs / len(rows),
            }
    return out


def per_site(results: Sequence[RealResult]) -> dict[tuple[str, str], dict[str, float]]:
    """{(group, site): {extractor: mean F1}}."""
    acc: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        acc[(group_key(r.page), r.page.site)][r.extractor].append(r.scores["f1"])
    return {k: {e: statistics.fmean(v) for e, v in d.items()} for k, d in sorted(acc.items())}


ROWS = (
    ("f1", "Body F1, mean (credit lines neutral)", "{:.3f}"),
    ("f1_median", "Body F1, median", "{:.3f}"),
    ("f1_raw", "Body F1, mean, raw gold (no credit adjustment)", "{:.3f}"),
    ("f1_min", "Body F1, min", "{:.3f}"),
    ("below_half", "Pages with body F1 < 0.5", "{:.0f}"),
    ("whole", "Gold lines found whole", "{:.1%}"),
    ("empty", "Pages with an empty body", "{:.0f}"),
    ("date", "Date right (day; pages with a gold date)", "{:.1%}"),
    ("ms", "ms / page (extraction call)", "{:.1f}"),
)


def render_real(results: Sequence[RealResult], names: Sequence[str],
                notes: Sequence[str] = ()) -> str:
    """Markdown: one table per group, then mean F1 per site."""
    agg = aggregate(results)
    lines = ["### Real pages", ""]
    lines += [f"- {n}" for n in notes]
    if notes:
        lines.append("")
    for group, by_ext in agg.items():
        present = [n for n in names if n in by_ext]
        n_pages = int(by_ext[present[0]]["pages"])
        lines += [f"**{group}** ({n_pages} pages)", "",
                  "| Metric | " + " | ".join(present) + " |",
                  "|---|" + "---:|" * len(present)]
        for key, label, fmt in ROWS:
            if key == "date" and not any(by_ext[n]["date_pages"] for n in present):
                continue
            cells = []
            for n in present:
                v = by_ext[n][key]
                cells.append("n/a" if v != v else fmt.format(v))  # NaN: no such field
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["Mean body F1 per site:", "",
              "| Set | Site | " + " | ".join(names) + " |",
              "|---|---|" + "---:|" * len(names)]
    for (group, site), vals in per_site(results).items():
        lines.append(f"| {group} | {site} | "
                     + " | ".join(f"{vals[n]:.3f}" if n in vals else "" for n in names) + " |")
    return "\n".join(lines) + "\n"


def worst_pages(results: Sequence[RealResult], extractor: str = "ours",
                count: int = 10) -> list[RealResult]:
    rows = [r for r in results if r.extractor == extractor]
    return sorted(rows, key=lambda r: r.scores["f1"])[:count]
