"""Item pipelines (normalise → validate → dedupe → store) and the post-crawl keyword stage.

Each pipeline class is a thin Scrapy adapter around plain functions in the same module;
the functions take arguments and are usable (and tested) without Scrapy. Enable with::

    ITEM_PIPELINES = {
        "pipelines.normalise.NormalisePipeline": 100,
        "pipelines.validate.ValidatePipeline": 200,
        "pipelines.dedupe.DedupePipeline": 300,
        "pipelines.store.StoragePipeline": 800,
    }
"""

ITEM_PIPELINES: dict[str, int] = {
    "pipelines.normalise.NormalisePipeline": 100,
    "pipelines.validate.ValidatePipeline": 200,
    "pipelines.dedupe.DedupePipeline": 300,
    "pipelines.store.StoragePipeline": 800,
}
"""The pipelines in their run order, for `fanwen_crawler/settings.py` to use."""
