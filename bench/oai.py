"""OAI-PMH paging at archive size: the first, a middle and the last page cost the same.

    .venv/bin/python bench/oai.py --articles 100000

Prints, for ListIdentifiers and ListRecords (oai_dc and jats), the time and SQL queries
of a page at the start, the middle and the end of the list (keyset paging: the database
seeks to the page instead of counting past the earlier ones).
"""

import argparse
import statistics
import time

from _setup import configure, fill_archive


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    configure("oai.sqlite3")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from articles.models import Article
    from articles.scholarly import oai

    started = time.perf_counter()
    fill_archive(args.articles)
    print(f"archive of {args.articles} articles built in {time.perf_counter() - started:.0f} s")
    pks = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    end = oai._stamp(timezone.now())
    total = len(pks)
    print(f"{'request':<28}{'position':>10}{'ms (median)':>14}{'queries':>9}")
    for verb, prefix in (
        ("ListIdentifiers", "oai_dc"),
        ("ListRecords", "oai_dc"),
        ("ListRecords", "jats"),
    ):
        for label, index in (("start", 0), ("middle", total // 2), ("end", total - oai.PAGE_SIZE)):
            after = pks[index - 1] if index else 0
            token = oai.ListState(prefix, "", "", end, after=after, cursor=index, total=total)
            arguments = {"verb": [verb], "resumptionToken": [token.token()]}
            times = []
            for _ in range(args.repeat):
                with CaptureQueriesContext(connection) as queries:
                    t0 = time.perf_counter()
                    document = oai.Repository(base_url="http://bench/oai").build(arguments)
                    times.append((time.perf_counter() - t0) * 1000)
            assert document.find(f"{{{oai.OAI_NS}}}error") is None
            print(
                f"{verb + ' ' + prefix:<28}{label:>10}{statistics.median(times):>14.1f}"
                f"{len(queries):>9}"
            )


if __name__ == "__main__":
    main()
