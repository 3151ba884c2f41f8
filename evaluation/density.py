"""A density-scoring body selector (CETD/GNE style), measured against ours (issue #10).

Not shipped: it exists to decide by measurement whether a node-density content model,
combined with our structural rules, beats the shipped selection (Kadane over lines,
cut into items by container, then the item under the title). For every element of the
pruned tree it sums the visible text, link text and sentence punctuation of the lines
it holds and counts its descendant elements; the node score is GNE's shape:

    non-link chars ÷ log(tags + e) × log(punctuation + 2) × (1 − link share)²

The best node's lines then go through the same structural body rules as ours
(`article.body_paragraphs`: chrome, trailers, end markers, lead-ins). `python -m
evaluation.density` prints mean body F1 per real set for both.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict

import click
from lxml import etree

from evaluation.real import drop_credits, f1
from evaluation.realsets import SHORT_NAMES, RealPage, load_real_pages
from fanwen_crawler.extractors import _parse, article, extract_page
from fanwen_crawler.extractors.blocks import linearise
from fanwen_crawler.extractors.boilerplate import prune_tree
from fanwen_crawler.extractors.decoding import decode_html
from fanwen_crawler.extractors.head import meta_title, read_head


def density_body(html: bytes) -> str:
    """Body text chosen by node density, cleaned by our structural body rules."""
    text, _ = decode_html(html)
    root = _parse(text)
    if root is None:
        return ""
    head = read_head(root)
    prune_tree(root)
    body = root.find("body")
    if body is None:
        body = root
    lines = linearise(body)
    if not lines:
        return ""
    chars: dict[etree._Element, float] = defaultdict(float)
    links: dict[etree._Element, float] = defaultdict(float)
    marks: dict[etree._Element, float] = defaultdict(float)
    for line in lines:
        node = line.owner
        while node is not None:
            chars[node] += line.size
            links[node] += line.link_chars
            marks[node] += line.punctuation
            node = node.getparent()
    best, best_score = body, -1.0
    for node, total in chars.items():
        tags = sum(1 for _ in node.iter()) or 1
        plain = total - links[node]
        if plain <= 0:
            continue
        # Density alone prefers a lone <p>; weighting by the amount of plain text (as
        # CETD's composite density does) lets the text's container win.
        score = plain / math.log(tags + math.e) * math.log(marks[node] + 2) \
            * (1 - links[node] / total) ** 2
        if score > best_score:
            best, best_score = node, score
    inside = {id(el) for el in best.iter()}
    content = [ln for ln in lines if id(ln.owner) in inside]
    title, _ = article.choose_title(head.title, meta_title(head), lines)
    return "\n".join(t for t, _ in article.body_paragraphs(content, title, set()))


def compare(pages: list[RealPage]) -> dict[str, dict[str, float]]:
    """{set: {"ours": mean F1, "density": mean F1, "pages": n}} over article pages."""
    acc: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for page in pages:
        if page.kind != "article":
            continue
        gold = drop_credits(page.gold_body)
        ours = extract_page(page.html, page.url, {"Content-Type": "text/html"}).body or ""
        name = SHORT_NAMES[page.dataset]
        acc[name]["ours"].append(f1(drop_credits(ours), gold))
        acc[name]["density"].append(f1(drop_credits(density_body(page.html)), gold))
    return {name: {"pages": len(v["ours"]), **{k: statistics.fmean(x) for k, x in v.items()}}
            for name, v in sorted(acc.items())}


def render(result: dict[str, dict[str, float]]) -> str:
    lines = ["| Set | Article pages | Ours (Kadane + items + rules) | Node density + rules |",
             "|---|---:|---:|---:|"]
    for name, row in result.items():
        lines.append(f"| {name} | {int(row['pages'])} | {row['ours']:.3f} | "
                     f"{row['density']:.3f} |")
    return "\n".join(lines) + "\n"


@click.command()
def main() -> None:
    """Mean body F1 of ours and of the density selector on the real article pages."""
    pages, missing = load_real_pages()
    for note in missing:
        click.echo(note, err=True)
    click.echo(render(compare(pages)), nl=False)


if __name__ == "__main__":
    main()
