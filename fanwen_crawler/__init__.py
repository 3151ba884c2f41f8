"""fanwen-crawler: crawl Chinese 范文 portals into a clean, deduplicated SQLite corpus."""

__version__ = "0.1.0"
