"""Run magic-html on pages sent as JSON lines; runs inside .venv-magic (Python >= 3.12).

Standalone on purpose: it imports nothing from this project, because magic-html needs a
newer Python than the project's virtualenvs. Input lines: {"html", "url", "kind"}.
Output lines: {"title", "text", "seconds", "error"}. Only the extractor call is timed.
"""

from __future__ import annotations

import json
import sys
import time


def html_text(fragment: str) -> str:
    """Text of an HTML fragment, one line per block element."""
    from lxml import html as lxml_html

    if not fragment or not fragment.strip():
        return ""
    root = lxml_html.fromstring(fragment)
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for block in root.iter("p", "div", "li", "h1", "h2", "h3", "h4", "tr", "dd", "dt"):
        block.tail = "\n" + (block.tail or "")
    return "\n".join(line.strip() for line in root.text_content().splitlines() if line.strip())


def main() -> None:
    from magic_html import GeneralExtractor

    extractor = GeneralExtractor()
    for raw in sys.stdin:
        job = json.loads(raw)
        kind = "forum" if job.get("kind") == "forum" else "article"
        out = {"title": None, "text": "", "seconds": 0.0, "error": None}
        start = time.perf_counter()
        try:
            data = extractor.extract(job["html"], base_url=job["url"], html_type=kind)
            out["seconds"] = time.perf_counter() - start
            out["title"] = data.get("title")
            out["text"] = html_text(data.get("html") or "")
        except Exception as exc:  # recorded per page; the run goes on
            out["seconds"] = time.perf_counter() - start
            out["error"] = f"{type(exc).__name__}: {exc}"[:200]
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
