"""`python -m portalgen`: serve a generated portal, or crawl and check seeds.

    python -m portalgen serve 7 --articles 3000 --port 8800
    python -m portalgen check 1 2 3 --family phpcms          # crawl with `fanwen crawl`, compare
    python -m portalgen truth 7                              # the ground truth as JSON
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from portalgen.portal import generate_portal
from portalgen.report import failure_classes, summarise
from portalgen.runner import run_portal
from portalgen.schemes import FAMILIES, FAMILY_SCHEMES
from portalgen.server import serve


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    out: dict[str, object] = {}
    if args.family:
        out["family"] = args.family
    if args.scheme:
        out["scheme"] = args.scheme
    if args.articles:
        out["n_articles"] = args.articles
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portalgen", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["serve", "check", "truth"])
    parser.add_argument("seeds", type=int, nargs="+")
    parser.add_argument("--family", choices=FAMILIES)
    parser.add_argument("--scheme", choices=[s for ss in FAMILY_SCHEMES.values() for s in ss])
    parser.add_argument("--articles", type=int)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "truth":
        print(json.dumps(asdict(generate_portal(args.seeds[0], **_overrides(args)).truth()),
                         ensure_ascii=False, indent=1))
        return 0
    if args.command == "serve":
        portal = generate_portal(args.seeds[0], **_overrides(args))
        with serve(portal, port=args.port) as served:
            print(f"{portal.family} / {portal.scheme.name}: {served.url}", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            rep = run_portal(seed, Path(tmp), **_overrides(args))
            reports.append(rep)
            print(f"seed {seed} {rep.family}/{rep.scheme}: {rep.articles} articles, "
                  f"{rep.crawl_seconds:.1f} s: " + ("OK" if rep.ok else "; ".join(rep.failures())),
                  flush=True)
    print("\n".join(["", *summarise(reports, "family"), "", *summarise(reports, "scheme"), "",
                     *failure_classes(reports)]))
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
