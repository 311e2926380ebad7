"""Recompute every derived copy the site stores and report the ones that drifted.

The site keeps copies (bylines, counts, related lists, record dates, the body's HTML, the
search table) so that pages read them instead of computing them; articles.derived.hub
keeps them on every write. A write made around the ORM (SQL in a shell, a restore of a
table) can still leave one stale: this finds each, says which copy of which row and
what it holds against what it should, and exits non-zero; --repair writes the fresh
values. The task worker runs the same check, repairing, daily
(articles.derived.verify.check_derived), and weekly with --full: the body's HTML and the
search rows are otherwise recomputed only where they or their sources changed since an
earlier check found them equal (articles.derived.verify's notes).
"""

import time

from django.core.management.base import BaseCommand, CommandError

from articles.derived import search_queue, verify
from articles.models import Article


class Command(BaseCommand):
    help = (
        "Verify every derived copy (bylines, counts, related lists, record dates, body "
        "HTML, search table) against a fresh computation; exit 1 if any drifted. "
        "--repair writes the fresh values."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair", action="store_true", help="write the fresh value of each drifted copy"
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="recompute every row, also those unchanged since an earlier check found "
            "them equal (the body's HTML and the search rows keep such notes)",
        )
        parser.add_argument(
            "--only",
            action="append",
            choices=sorted(verify.CHECKS),
            help="check only these copies (repeatable)",
        )

    def handle(self, *args, repair=False, only=None, full=False, **options):
        started = time.perf_counter()
        found: dict[str, int] = {}
        tally = verify.Tally()
        for drift in verify.check(repair=repair, only=only, full=full, tally=tally):
            found[drift.copy] = found.get(drift.copy, 0) + 1
            self.stdout.write(str(drift))
        seconds = time.perf_counter() - started
        articles = Article.objects.count()
        for copy, rows in sorted(tally.recomputed.items()):
            self.stdout.write(
                f"{copy}: {rows:,} of {articles:,} articles recomputed"
                + ("" if full else ", the others unchanged since found equal")
            )
        if waiting := search_queue.queued():
            self.stdout.write(
                f"{waiting:,} search rows queued for rewriting after a rename, not checked "
                "(the worker rewrites them within a minute; --repair does it first)"
            )
        total = sum(found.values())
        if not total:
            self.stdout.write(self.style.SUCCESS(f"No drift ({seconds:.1f}s)."))
            return
        summary = ", ".join(f"{copy}: {n}" for copy, n in sorted(found.items()))
        if repair:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Repaired {total} drifted values ({summary}) in {seconds:.1f}s."
                )
            )
            return
        raise CommandError(f"{total} drifted values ({summary}); run with --repair to fix them.")
