"""`python -m fanwen_crawler` runs the `fanwen` command line."""

from fanwen_crawler.cli import main

if __name__ == "__main__":
    main()
