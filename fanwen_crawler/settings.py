"""The one settings module: Scrapy's settings and ours (FANWEN_*), grouped.

Defaults are polite for crawling other people's portals. `fanwen crawl` overrides some
per run from its flags (`fanwen_crawler/flags.py`: database path, delay, limits …), as
`scrapy crawl -s NAME=VALUE` does; a profile's download_delay and concurrency are applied
by the spider under every entry point (`fanwen_crawler/politeness.py`). Every FANWEN_*
setting is documented in README.md (a test checks this).
"""

from fanwen_crawler import items as _items

# --- Project -----------------------------------------------------------------
BOT_NAME = "fanwen_crawler"
SPIDER_MODULES = ["fanwen_crawler.spiders"]
NEWSPIDER_MODULE = "fanwen_crawler.spiders"

# --- Politeness: identify ourselves, obey robots.txt, go slowly -----------------
USER_AGENT = "fanwen-crawler/0.1 (+corpus research crawler; obeys robots.txt)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # ±50% around DOWNLOAD_DELAY
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# --- Robustness: retry transient failures, bound what we download ---------------
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# Scrapy (2.13+, asyncio reactor) starts CONCURRENT_ITEMS tasks for every response's output.
# Our pipelines are synchronous, so the default 100 buys nothing and costs ~1 ms of CPU per
# page; 8 measured 5.5-6.0 ms/page against 6.8 (2,305-page generated portal, 2 shared cores).
CONCURRENT_ITEMS = 8
REDIRECT_MAX_TIMES = 10
# Breadth-first keeps list pages ahead of deep article chains and memory flat.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
# The duplicate filter keys on the canonical URL each request carries (fanwen_crawler.urls).
REQUEST_FINGERPRINTER_CLASS = "fanwen_crawler.fingerprint.CanonicalFingerprinter"

# --- Safety: no code-execution consoles unless explicitly asked for -------------
TELNETCONSOLE_ENABLED = False
# Scrapy >= 2.19 also starts a token-protected HTTP server that executes Python code
# (RemoteControl, for its MCP server) on a random loopback port: never for a crawler of
# untrusted sites. tests/test_safety.py checks no crawl listens on any port.
REMOTE_CONTROL_ENABLED = False
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    # Opens the corpus once (crawler.corpus) and keeps the crawl_runs row; built first,
    # the components below and every middleware and pipeline take the corpus from it.
    "fanwen_crawler.extensions.corpus.CrawlCorpus": 100,
    # Writes the failures the spider reports, and dropped items, to crawl_errors.
    "fanwen_crawler.extensions.failures.FailureRecorder": 200,
    # Keywords and the search index, in a worker process fed from the store's batches
    # (and a catch-up at spider_closed), whatever started the crawl.
    "fanwen_crawler.extensions.enrich.Enrich": 300,
    "fanwen_crawler.extensions.progress.ProgressBar": 500,
}

# --- Our components ---------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # Last to see a response (after redirects, retries, robots, site policy): the page is
    # extracted in a worker process while the crawl goes on (FANWEN_EXTRACT_WORKERS).
    "fanwen_crawler.middlewares.extract_workers.ExtractWorkersMiddleware": 10,
    # First of all: redirect hops stay on the site, nothing goes to private addresses.
    "fanwen_crawler.middlewares.site_policy.SitePolicyMiddleware": 20,
    # robots.txt per RFC 9309 (5xx/unreachable = disallow, Crawl-delay), in Scrapy's place.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "fanwen_crawler.middlewares.robots.RobotsPolicyMiddleware": 100,
    # Before the robots.txt middleware (100) so stored articles cost no request at all.
    "fanwen_crawler.middlewares.skip_stored.SkipStoredMiddleware": 50,
    # --refresh: conditional requests for stored articles; a 304 is "unchanged".
    "fanwen_crawler.middlewares.refresh.ConditionalRefreshMiddleware": 60,
    # Responses pass downloader middlewares from high numbers to low: RetryAfter (560) sees a
    # 429/503 before the retry middleware (550), RedirectLoop (650) sees a 3xx before the
    # redirect middleware (600).
    "fanwen_crawler.middlewares.retry_after.RetryAfterMiddleware": 560,
    "fanwen_crawler.middlewares.redirect_loop.RedirectLoopMiddleware": 650,
    # --max-pages: counts requests as they are sent (after the HTTP cache, 900).
    "fanwen_crawler.middlewares.page_budget.PageBudgetMiddleware": 950,
}
SPIDER_MIDDLEWARES = {
    # --retry-failed: re-request URLs whose recorded error was transient.
    # Sitemaps (robots.txt Sitemap:, /sitemap.xml, /sitemap_index.xml, /sitemap.txt), read
    # after every other start request (nearer the engine than the rest: its number is lower).
    "fanwen_crawler.middlewares.sitemaps.SitemapDiscoveryMiddleware": 50,
    "fanwen_crawler.middlewares.retry_failed.RetryFailedMiddleware": 100,
    # --until: next to the spider (inside Depth 900 and Referer 700), so pagination it
    # releases later is processed by those as if the spider had just yielded it.
    "fanwen_crawler.middlewares.until.UntilMiddleware": 950,
}
# --redis: the shared scrapy-redis frontier, configured only when FANWEN_REDIS_URL is set.
ADDONS = {"fanwen_crawler.extensions.distributed.RedisFrontierAddon": 0,
          # JOBDIR (--state-dir): the crash-safe SQLite frontier instead of Scrapy's disk queues.
          "fanwen_crawler.frontier.FrontierAddon": 0}
ITEM_PIPELINES = {
    "pipelines.normalise.NormalisePipeline": 100,
    # --scrub-pii: phone numbers, e-mail, QQ and ID-card numbers replaced by placeholders.
    "pipelines.scrub.ScrubPipeline": 150,
    "pipelines.validate.ValidatePipeline": 200,
    # Before dedupe, so an article over the --max-articles limit is never indexed.
    "pipelines.article_limit.ArticleLimitPipeline": 250,
    "pipelines.dedupe.DedupePipeline": 300,
    "pipelines.store.StoragePipeline": 800,
}

# --- Output / logging ---------------------------------------------------------------
# `scrapy crawl portal -O items.jsonl|csv`: the article fields without internal ones (the
# MinHash bytes); CSV cells of lists are JSON text.
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = _items.exported_fields()
FEED_EXPORTERS = {"csv": "fanwen_crawler.exporters.CsvExporter"}
LOG_LEVEL = "INFO"
# Development convenience: `fanwen crawl --set HTTPCACHE_ENABLED=True` replays pages from
# disk (HTTPCACHE_DIR is under the project's .scrapy/ folder, else ./.scrapy/).
HTTPCACHE_ENABLED = False
HTTPCACHE_DIR = "httpcache"

# --- fanwen-crawler settings (documented in README.md) --------------------------------
FANWEN_DB_PATH = "data/corpus.db"
FANWEN_PROFILE = None
FANWEN_MIN_BODY_CHARS = 50
FANWEN_BATCH_SIZE = 50
FANWEN_FLUSH_SECONDS = 5.0
FANWEN_SKIP_STORED = True
FANWEN_MAX_ARTICLE_PAGES = 50
FANWEN_EXTRACT_WORKERS = None  # None: CPUs - 1 (at most 4); 0: extract in the crawl process
FANWEN_EXTRACT_WORKERS_AFTER = 100
FANWEN_PROGRESS = False
# Keywords and search index, computed during the crawl (fanwen crawl --no-keywords sets False).
FANWEN_KEYWORDS = True
# Crawl controls (fanwen crawl --max-articles / --until / --retry-failed / --refresh).
FANWEN_MAX_ARTICLES = 0
FANWEN_UNTIL = None
FANWEN_RETRY_FAILED = False
FANWEN_CONDITIONAL = True
# Distributed crawling (fanwen crawl --redis / --redis-key / --idle-exit).
FANWEN_REDIS_URL = None
FANWEN_REDIS_KEY = None
FANWEN_IDLE_EXIT = 10.0
# Seconds a Redis worker's taken requests stay its own without a heartbeat (then reclaimed).
FANWEN_REDIS_LEASE = 30.0
# Replace personal data (phone, e-mail, QQ, ID-card numbers) in stored text.
FANWEN_SCRUB_PII = False
# Longest Retry-After (seconds) honoured before a 429/503 is retried.
FANWEN_MAX_RETRY_AFTER = 60.0
# robots.txt fetch timeout (s), and the wait before a 5xx/unreachable robots.txt is refetched.
FANWEN_ROBOTS_TIMEOUT = 10.0
FANWEN_ROBOTS_RETRY = 30.0
# Discover articles from the sites' sitemaps too (fanwen crawl --no-sitemaps turns it off).
FANWEN_SITEMAPS = True
