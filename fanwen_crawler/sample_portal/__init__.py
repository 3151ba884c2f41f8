"""The bundled sample 范文 portal: a realistic, deterministic site served on 127.0.0.1.

It carries what real portals carry — three CMS template families (the seed page's
custom template, DedeCMS served as GBK, PHPCMS v9) plus an old <br>-lines template,
both list-pagination styles, multi-page articles, ads, watermarks, tracking links,
an exact re-post and a near-duplicate, robots.txt, a 404, a 301 and off-site links —
and knows the ground truth about all of it (`PortalTruth`).

    site = build_site()                      # pure: site.pages, site.truth
    with serve_portal(port=0) as portal:     # portal.url, .requests, .truth …
        ...
"""

from fanwen_crawler.sample_portal.build import build_site
from fanwen_crawler.sample_portal.model import (
    ArticleTruth,
    ListTruth,
    PortalTruth,
    Resource,
    SectionTruth,
    Site,
)
from fanwen_crawler.sample_portal.server import ServedPortal, serve_portal

__all__ = [
    "ArticleTruth",
    "ListTruth",
    "PortalTruth",
    "Resource",
    "SectionTruth",
    "ServedPortal",
    "Site",
    "build_site",
    "serve_portal",
]
