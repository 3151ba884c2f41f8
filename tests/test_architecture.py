"""Dependencies point one way: allowed imports per layer, and no import cycles.

Every import statement counts, module-level or inside a function. A layer may import its
own modules, the standard library and third-party packages (except where listed), and
only the project modules named for it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("fanwen_crawler", "pipelines")
LEAVES = ("fanwen_crawler.items", "fanwen_crawler.urls")
# layer prefix → (project modules it may import besides its own, third-party it must not)
RULES = {
    # A portal profile is declarative data an extractor takes as an argument (a leaf itself).
    "fanwen_crawler.extractors": ((*LEAVES, "fanwen_crawler.profiles"), ("scrapy",)),
    "fanwen_crawler.corpus": ((*LEAVES, "fanwen_crawler.extractors.text"), ("scrapy",)),
    "fanwen_crawler.analysis": ((*LEAVES, "fanwen_crawler.corpus", "fanwen_crawler.extras"),
                                ("scrapy",)),
    "fanwen_crawler.items": ((), ("scrapy",)),
    "fanwen_crawler.urls": ((), ("scrapy",)),
    "fanwen_crawler.profiles": ((), ("scrapy",)),
    "fanwen_crawler.extras": ((), ("scrapy",)),
}
KNOWN: set[str] = set()
"""Violations outside the corpus area, left to their owners; the test fails once one is fixed
(remove it here then), so the list only shrinks."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    name, out = module_name(path), set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)  # `from pkg import module`
    return out


GRAPH = {module_name(p): imports_of(p) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def ours(imported: str) -> str | None:
    """The project module `imported` names (longest known prefix), or None if not ours."""
    while imported and imported not in GRAPH:
        imported = imported.rpartition(".")[0]
    return imported or None


def under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


@pytest.mark.parametrize("layer", RULES)
def test_layer_imports_only_what_it_may(layer: str) -> None:
    allowed, banned = RULES[layer]
    bad = sorted(
        f"{mod} imports {imp}"
        for mod, imps in GRAPH.items() if under(mod, layer)
        for imp in imps
        if any(under(imp, b) for b in banned) or (
            (target := ours(imp)) is not None and not under(target, layer)
            and not any(under(target, a) for a in allowed))
    )
    assert bad == []


def test_nothing_in_the_package_imports_pipelines() -> None:
    bad = sorted(f"{mod} imports {imp}" for mod, imps in GRAPH.items()
                 if under(mod, "fanwen_crawler") for imp in imps if under(imp, "pipelines"))
    assert bad == sorted(KNOWN)


def test_no_import_cycles() -> None:
    edges = {mod: {t for imp in imps if (t := ours(imp)) and t != mod} for mod, imps in
             GRAPH.items()}
    # a package's __init__ re-exporting its own modules is not a cycle between modules
    edges = {m: {t for t in ts if not under(m, t)} for m, ts in edges.items()}
    cycles, state = [], dict.fromkeys(edges, 0)

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state[nxt] == 1:
                cycles.append(" → ".join([*stack[stack.index(nxt):], nxt]))
            elif state[nxt] == 0:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(edges):
        if state[node] == 0:
            visit(node, [node])
    assert cycles == []
