"""`python -m fanwen_crawler.sample_portal --port 8000`: serve the portal until Ctrl-C."""

from __future__ import annotations

import argparse
import time

from fanwen_crawler.sample_portal.server import serve_portal


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fanwen_crawler.sample_portal",
                                     description="Serve the sample 范文 portal on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8000, help="port (0 = any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="a 127.0.0.x address")
    args = parser.parse_args(argv)
    with serve_portal(host=args.host, port=args.port) as portal:
        print(f"sample portal at {portal.url} (off-site neighbour at {portal.offsite_url}); "
              "Ctrl-C to stop", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
