"""portalgen: seeded, randomised 范文 portals for end-to-end tests and benchmarks (dev only).

A portal is drawn from a seed: a CMS family (DedeCMS, PHPCMS v9, EmpireCMS, WordPress,
Z-Blog, Discuz! portal, hand-made), one of its URL schemes, and randomised templates,
charsets, trailers, lists, re-posts and sitemaps. It knows its ground truth, is served
on 127.0.0.1 with a request log; `runner` crawls it with the real `fanwen crawl` and
`checker` compares the corpus with the truth (`report` tabulates the outcome). Not
shipped in the wheel; it imports nothing of the crawler except, read-only, the sample
portal's 范文 sentences.
"""

from portalgen.portal import Portal, generate_portal
from portalgen.server import ServedPortal, serve

__all__ = ["Portal", "ServedPortal", "generate_portal", "serve"]
