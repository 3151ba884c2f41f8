"""The Scrapy item pipelines, in run order: normalise → scrub → validate → article limit →
dedupe → store.

Each module is one thin Scrapy adapter around the library in `fanwen_crawler` (the text
normaliser, the corpus); nothing in `fanwen_crawler` imports this package except through
the `ITEM_PIPELINES` strings of `fanwen_crawler/settings.py`, which is where they are enabled.
"""
