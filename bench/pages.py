"""Render time and SQL queries of every public page type over a large archive.

Prints, per page: queries per request, and the median and 95th-percentile time of
uncached renders (cache cleared before each request) and of cached hits.
"""

import argparse
import statistics
import time

from _setup import configure, fill_archive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    configure("pages.sqlite3")
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    settings.ALLOWED_HOSTS = ["*"]
    t0 = time.perf_counter()
    fill_archive(args.articles)
    print(
        f"archive: {args.articles} articles built in {time.perf_counter() - t0:.1f}s "
        f"on {connection.vendor}"
    )

    from articles.models import Article, Author, Issue, Section, Topic

    article = Article.objects.published().order_by("-published_at").first()
    pages = {
        "home": reverse("home"),
        "issue archive": reverse("articles:issue-list"),
        "issue TOC": Issue.objects.published().first().get_absolute_url(),
        "article": article.get_absolute_url(),
        "topic": Topic.objects.first().get_absolute_url(),
        "section": Section.objects.first().get_absolute_url(),
        "author": Author.objects.first().get_absolute_url(),
        "search": reverse("articles:search") + "?q=breast+cancer",
        "RSS feed": reverse("articles:feed-latest-rss"),
        "sitemap index": reverse("sitemap"),
        "sitemap articles": reverse("sitemap-section", kwargs={"section": "articles"}),
    }
    client = Client()
    print(
        f"{'page':<18}{'status':>7}{'queries':>9}{'uncached p50':>14}{'p95':>9}{'cached p50':>12}"
    )
    for name, url in pages.items():
        cold, warm = [], []
        with CaptureQueriesContext(connection) as ctx:
            cache.clear()
            response = client.get(url)
        n_queries = len(ctx.captured_queries)  # read now: the next request clears the log
        for _ in range(args.repeat):
            cache.clear()
            t = time.perf_counter()
            client.get(url)
            cold.append((time.perf_counter() - t) * 1000)
        for _ in range(args.repeat):
            t = time.perf_counter()
            client.get(url)
            warm.append((time.perf_counter() - t) * 1000)
        p95 = statistics.quantiles(cold, n=20)[-1]
        print(
            f"{name:<18}{response.status_code:>7}{n_queries:>9}"
            f"{statistics.median(cold):>12.1f}ms{p95:>7.1f}ms{statistics.median(warm):>10.1f}ms"
        )


if __name__ == "__main__":
    main()
