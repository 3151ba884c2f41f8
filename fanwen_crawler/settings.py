"""The one settings module: Scrapy's settings and ours (FANWEN_*), grouped.

Defaults are polite for crawling other people's portals. The CLI overrides a few
of them per run (database path, delay, concurrency, limits); spiders do not.
Every FANWEN_* setting is documented in README.md (a test checks this).
"""

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
REDIRECT_MAX_TIMES = 10
# Breadth-first keeps list pages ahead of deep article chains and memory flat.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# --- Safety: no code-execution consoles unless explicitly asked for -------------
TELNETCONSOLE_ENABLED = False
# Scrapy >= 2.19 also starts a token-protected HTTP server that executes Python code
# (RemoteControl, for its MCP server) on a random loopback port: never for a crawler of
# untrusted sites. tests/test_safety.py checks no crawl listens on any port.
REMOTE_CONTROL_ENABLED = False
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    "fanwen_crawler.extensions.progress.ProgressBar": 500,
}

# --- Our components ---------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # Before the robots.txt middleware (100) so stored articles cost no request at all.
    "fanwen_crawler.middlewares.skip_stored.SkipStoredMiddleware": 50,
    # --refresh: conditional requests for stored articles; a 304 is "unchanged".
    "fanwen_crawler.middlewares.refresh.ConditionalRefreshMiddleware": 60,
    # Responses pass these before the retry (550) and redirect (600) middlewares see them.
    "fanwen_crawler.middlewares.retry_after.RetryAfterMiddleware": 560,
    "fanwen_crawler.middlewares.redirect_loop.RedirectLoopMiddleware": 650,
}
SPIDER_MIDDLEWARES = {
    # --retry-failed: re-request URLs whose recorded error was transient.
    "fanwen_crawler.middlewares.retry_failed.RetryFailedMiddleware": 100,
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
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
# Development convenience: `fanwen crawl --set HTTPCACHE_ENABLED=1` replays pages from disk.
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
FANWEN_PROGRESS = False
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
