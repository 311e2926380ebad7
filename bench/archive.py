"""A journal-sized archive for the benchmarks, built fast enough for 100,000 articles.

The text is bench/corpus.py's: realistic word statistics, every body distinct. Rows are
written in bulk (PostgreSQL COPY, or bulk_create elsewhere) with ids assigned here, so no
signal runs: what the site derives from content when it is saved (the related-items lists,
the counts, the search document) is computed in bulk by the same code the site uses
(articles.derived.related.rank_many etc.); the body as readers see it is rendered by the
corpus and checked against the site's renderer on a sample. At the end the corpus's
statistics are printed (--stats prints them for an archive already built).

    DATABASE_URL=postgres://…/jhop_bench .venv/bin/python bench/archive.py --articles 100000
"""

import argparse
import hashlib
import os
import random
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from corpus import CLINICAL, FAMILY, GIVEN, RARE, SECTIONS, Corpus, title_case

# Research sections (the first five) carry most of the archive.
SECTION_SHARES = [0.3, 0.1, 0.05, 0.1, 0.05, 0.15, 0.1, 0.05, 0.02, 0.08]


def _lines(values: tuple) -> dict:
    """The article's stored lines and page copies (articles.derived.cards.STORED)."""
    from articles.derived import cards

    return dict(zip(cards.STORED, values, strict=True))


def _backend_pid() -> int | None:
    """The PostgreSQL backend's process id when the server runs on this machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return pid if Path(f"/proc/{pid}/stat").exists() else None


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc (clock ticks of 10 ms)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _writer():
    from django.core.management.color import no_style
    from django.db import connection
    from psycopg.types.json import Jsonb

    from articles.derived import writes

    def write(model, rows) -> int:
        """Insert rows (dicts of attribute values, ids included; other fields default)
        with COPY on PostgreSQL, bulk_create elsewhere. No model instance, no signal."""
        fields = list(model._meta.concrete_fields)
        template = model()
        defaults = {}
        for f in fields:
            defaults[f.attname] = f.get_prep_value(getattr(template, f.attname))
        names = [f.attname for f in fields]
        count = 0
        if connection.vendor != "postgresql":
            batch = [model(**{**defaults, **row}) for row in rows]
            with writes.suspended():  # every copy is derived in bulk at the end
                model.objects.bulk_create(batch, batch_size=2000)
            return len(batch)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        # JSON values go as JSON (psycopg would write a list as an array).
        json_names = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    values = {**defaults, **row}
                    for name in json_names:
                        values[name] = Jsonb(values[name])
                    copy.write_row([values[name] for name in names])
                    count += 1
            for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(sql)
        return count

    return write


def build(n_articles: int, *, seed: int = 7, verbose: bool = False) -> dict:
    """Fill the (empty) content tables with n_articles and everything around them."""
    from django.db import connection, transaction
    from django.utils import timezone
    from django.utils.text import slugify

    from articles.derived import cards, related
    from articles.models import (
        Article,
        ArticleTopic,
        Author,
        Authorship,
        Issue,
        RankedRelated,
        Reference,
        RelatedItem,
        Section,
        Topic,
    )
    from articles.sanitizer import sanitize_html
    from tests.factories import make_journal

    rng = random.Random(seed)
    write = _writer()
    timings = {}
    started = time.perf_counter()

    backend = _backend_pid()

    def step(name):
        timings[name] = time.perf_counter() - started
        if verbose:
            cpu = f"Python CPU {time.process_time():.1f}s"
            if backend:
                cpu += f", PostgreSQL CPU {_cpu_seconds(backend):.1f}s"
            print(f"  {name}: {timings[name]:.1f}s ({cpu}; cumulative)", flush=True)

    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # No per-row triggers while loading (the search document is computed once,
            # at the end, in _derive_in_bulk); the rows are consistent by construction.
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
        journal = make_journal()
        sections = [
            Section.objects.get_or_create(
                name=name,
                defaults={
                    "slug": slugify(name),
                    "position": i,
                    "content_kind": Section.ContentKind.SCHOLARLY
                    if research
                    else Section.ContentKind.NEWS,
                    "is_citable": research,
                },
            )[0]
            for i, (name, research) in enumerate(SECTIONS)
        ]
        is_research = [research for _, research in SECTIONS]
        topics = [
            Topic.objects.get_or_create(name=title_case(name), defaults={"slug": f"topic-{i}"})[0]
            for i, name in enumerate(CLINICAL)
        ]

        def next_id(model):
            return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

        corpus = Corpus(seed)
        nrng = corpus.rng
        step("vocabulary and lexicon")
        first = next_id(Author)
        n_authors = max(50, n_articles // 5)
        author_ids = list(range(first, first + n_authors))
        slugs: set[str] = set()

        def author_slug(person):
            slug = slugify(f"{person['given_name']} {person['family_name']}")
            while slug in slugs:
                slug += "-2"
            slugs.add(slug)
            return slug

        write(
            Author,
            (
                {
                    "id": pk,
                    **person,
                    "slug": author_slug(person),
                    "created_at": now,
                    "updated_at": now,
                }
                for pk, person in zip(author_ids, corpus.people(n_authors), strict=True)
            ),
        )
        n_issues = max(4, n_articles // 40)
        first = next_id(Issue)
        issue_ids = list(range(first, first + n_issues))
        write(
            Issue,
            (
                {
                    "id": pk,
                    "journal_id": journal.pk,
                    "volume": 1 + i // 6,
                    "number": 1 + i % 6,
                    "cover_date": date(1990, 1, 1)
                    + timedelta(days=61 * i // max(1, n_issues // 500)),
                    "slug": f"bench-issue-{i}",
                    "status": Issue.Status.PUBLISHED,
                    "published_at": now - timedelta(hours=(n_issues - i) * 40),
                    "created_at": now,
                    "updated_at": now,
                }
                for i, pk in enumerate(issue_ids)
            ),
        )
        step("authors and issues")

        first = next_id(Article)
        article_ids = list(range(first, first + n_articles))
        # What each article is: its section (research or news), topics (the first is what it
        # is mostly about), number of references, and year.
        section_of = nrng.choice(len(sections), size=n_articles, p=SECTION_SHARES)
        topic_count = nrng.choice([1, 2, 3, 3, 4], size=n_articles)
        topic_cdf = np.cumsum(1 / np.arange(1, len(topics) + 1) ** 0.7)
        topic_order = nrng.permutation(len(topics))
        plan = []
        for i in range(n_articles):
            research = is_research[section_of[i]]
            chosen: list[int] = []
            while len(chosen) < topic_count[i]:
                t = int(topic_order[np.searchsorted(topic_cdf / topic_cdf[-1], nrng.random())])
                if t not in chosen:
                    chosen.append(t)
            if research:
                words = int(np.clip(nrng.lognormal(np.log(3000), 0.4), 1500, 6000))
                refs = int(np.clip(nrng.lognormal(np.log(30), 0.45), 15, 60))
            else:
                words = int(np.clip(nrng.lognormal(np.log(600), 0.4), 300, 1200))
                refs = int(nrng.integers(0, 6))
            published = now - timedelta(hours=(n_articles - i))
            plan.append((research, chosen, words, refs, published))
        ids = iter(range(next_id(Authorship), 10**10))
        # Some people write much more than others: authors are drawn on a Zipf curve.
        author_cdf = np.cumsum(1 / np.arange(1, n_authors + 1) ** 0.8)
        author_cdf /= author_cdf[-1]
        author_order = nrng.permutation(author_ids)

        def bylines():
            for a, (research, *_rest) in zip(article_ids, plan, strict=True):
                wanted = int(nrng.integers(2, 9)) if research else int(nrng.integers(1, 3))
                chosen: list[int] = []
                while len(chosen) < wanted:
                    draws = np.searchsorted(author_cdf, nrng.random(wanted), side="right")
                    for d in author_order[np.minimum(draws, n_authors - 1)].tolist():
                        if d not in chosen and len(chosen) < wanted:
                            chosen.append(d)
                yield from (
                    {"id": next(ids), "article_id": a, "author_id": au, "position": p}
                    for p, au in enumerate(chosen, start=1)
                )

        write(Authorship, bylines())
        topic_ids = [t.pk for t in topics]
        ids = iter(range(next_id(ArticleTopic), 10**10))
        write(
            ArticleTopic,
            (
                {"id": next(ids), "article_id": a, "topic_id": topic_ids[t], "position": p}
                for a, (_, chosen, *_rest) in zip(article_ids, plan, strict=True)
                for p, t in enumerate(chosen, 1)
            ),
        )
        step("authorships and topics")
        seen = set()
        checked = 0

        def articles(start: int, stop: int, lines: dict[int, tuple]):
            nonlocal checked
            for i in range(start, stop):
                pk = article_ids[i]
                research, chosen, words, refs, published = plan[i]
                names = [CLINICAL[t] for t in chosen]
                case = SECTIONS[section_of[i]][0] == "Case Reports"
                body, body_html = corpus.body(words, names, refs, research, case)
                digest = hashlib.md5(body.encode()).digest()  # noqa: S324 (not security)
                assert digest not in seen, "every body is distinct"
                seen.add(digest)
                if i % 500 == 0:
                    # The HTML is what the sanitizer keeps and the site renders: checked here
                    # on a sample (rendering every body with the site's code is slower).
                    assert sanitize_html(body) == body
                    assert Article(body=body).derive_from_body() == {"body_html": body_html}
                    checked += 1
                yield {
                    "id": pk,
                    "title": corpus.title(names, research, published.year),
                    "slug": f"bench-article-{i}",
                    "issue_id": issue_ids[i * n_issues // n_articles],
                    "section_id": sections[section_of[i]].pk,
                    "standfirst": corpus.standfirst(names, published.year),
                    "body": body,
                    "body_html": body_html,
                    **_lines(lines[pk]),
                    "status": Article.Status.PUBLISHED,
                    "published_at": published,
                    "position": i % 40,
                    "created_at": now,
                    "updated_at": now,
                    "record_modified_at": now,
                }

        for start in range(0, n_articles, cards.CHUNK):
            stop = min(start + cards.CHUNK, n_articles)
            # What articles.derived.cards stores on each article (its authors' and topics'
            # lines and page copies), by the site's own code from the links written above.
            lines = cards.stored_values(article_ids[start:stop])
            write(Article, articles(start, stop, lines))
        step(f"articles (rendering checked on {checked})")
        ids = iter(range(next_id(Reference), 10**10))
        write(
            Reference,
            (
                {"id": next(ids), "article_id": a, "position": p, **reference}
                for a, (_, chosen, _, refs, published) in zip(article_ids, plan, strict=True)
                for p, reference in enumerate(
                    corpus.references(refs, [CLINICAL[t] for t in chosen], published.year), 1
                )
            ),
        )
        step("references")
        ids = iter(range(next_id(RelatedItem), 10**10))
        write(
            RelatedItem,
            (
                {
                    "id": next(ids),
                    "article_id": a,
                    "related_id": article_ids[(i + k) % n_articles],
                    "position": k,
                }
                for i, a in enumerate(article_ids)
                if i % 10 == 0
                for k in (1, 2, 3)
            ),
        )
        lists = related.rank_many(None)
        step("related items ranked")
        ids = iter(range(next_id(RankedRelated), 10**10))
        write(
            RankedRelated,
            (
                {
                    "id": next(ids),
                    "article_id": pk,
                    "related_id": related_id,
                    "position": p,
                    "shared": shared,
                    "is_picked": picked,
                }
                for pk, entries in lists.items()
                for p, (related_id, shared, picked) in enumerate(entries)
            ),
        )
        step("related items stored")
        _subscribers(n_articles, write, next_id, rng, now)
        step("subscribers")
        # Statistics first: without them the planner takes the freshly copied tables for
        # empty and picks plans for the recount that run for many minutes.
        _analyze()
        _derive_in_bulk(step)
    _analyze(vacuum=True)
    step("vacuum analyze")
    return timings


def _subscribers(n: int, write, next_id, rng, now) -> None:
    """As many subscribers as articles, on the e-newsletter and a third on print too."""
    from subscriptions.models import MailingList, Subscriber, Subscription

    lists = {m.kind: m.pk for m in MailingList.objects.all()}
    first = next_id(Subscriber)
    ids = list(range(first, first + n))
    write(
        Subscriber,
        (
            {
                "id": pk,
                "email": f"reader{pk}@hospital{pk % 97}.example.org",
                "first_name": rng.choice(GIVEN),
                "last_name": rng.choice(FAMILY),
                "profession": "pharmacist",
                "organization": "Community Cancer Center",
                "address_line1": f"{pk} Main Street",
                "city": "Springfield",
                "region": "IL",
                "postal_code": "62701",
                "country": "US",
                "created_at": now - timedelta(minutes=n - i),
                "updated_at": now,
            }
            for i, pk in enumerate(ids)
        ),
    )
    rows = []
    for pk in ids:
        for kind, list_id in lists.items():
            if kind == MailingList.Kind.PRINT and pk % 3:
                continue
            rows.append(
                {
                    "subscriber_id": pk,
                    "mailing_list_id": list_id,
                    "status": Subscription.Status.ACTIVE,
                    "requested_at": now,
                    "confirmed_at": now,
                    "updated_at": now,
                }
            )
    sequence = iter(range(next_id(Subscription), 10**10))
    write(Subscription, ({"id": next(sequence), **row} for row in rows))


# What the planner needs to hand a scan of every body to parallel workers.
PARALLEL = ("min_parallel_table_scan_size", "parallel_setup_cost", "parallel_tuple_cost")
BODY_VECTORS = """
CREATE TEMP TABLE bench_body_vectors AS
SELECT id, setweight(to_tsvector('english', coalesce(body, '')), 'C') AS v FROM articles_article
"""
BULK_SEARCH_DOCUMENTS = """
WITH names AS (
  SELECT s.article_id, array_agg(
      setweight(to_tsvector('english', au.given_name || ' ' || au.family_name), 'D')
      ORDER BY s.position, s.id) AS v
  FROM articles_authorship s JOIN articles_author au ON au.id = s.author_id
  GROUP BY s.article_id
), topics AS (
  SELECT at.article_id,
    array_agg(setweight(to_tsvector('english', t.name), 'D') ORDER BY t.name, t.id) AS v,
    array_agg(at.topic_id ORDER BY at.topic_id) AS ids
  FROM articles_article_topics at JOIN articles_topic t ON t.id = at.topic_id
  GROUP BY at.article_id
)
INSERT INTO articles_search
  (article_id, status, published_at, issue_id, section_id, document, excerpt, topic_ids)
SELECT a.id, a.status, a.published_at, a.issue_id, a.section_id,
  articles_search_apart(ARRAY[
      setweight(to_tsvector('english', coalesce(a.title, '')), 'A'),
      setweight(to_tsvector('english', coalesce(a.standfirst, '')), 'B'),
      b.v]
    || coalesce(names.v, '{}') || coalesce(topics.v, '{}')),
  articles_search_excerpt(a.standfirst, a.body),
  coalesce(topics.ids, '{}')
FROM articles_article a
JOIN bench_body_vectors b ON b.id = a.id
LEFT JOIN names ON names.article_id = a.id
LEFT JOIN topics ON topics.article_id = a.id
ON CONFLICT (article_id) DO UPDATE
SET status = EXCLUDED.status, published_at = EXCLUDED.published_at,
    issue_id = EXCLUDED.issue_id, section_id = EXCLUDED.section_id,
    document = EXCLUDED.document, excerpt = EXCLUDED.excerpt, topic_ids = EXCLUDED.topic_ids
"""


def _derive_in_bulk(step) -> None:
    """The stored counts, bylines and topic names, and the search document, which triggers
    keep on PostgreSQL (off during the bulk load)."""
    from django.db import connection
    from django.utils import timezone

    from articles.derived import cards
    from articles.derived.counts import recount
    from articles.models import Article

    recount()
    step("derived: counts")
    # Written with the articles (from the links, by the site's own code): checked here.
    assert not cards.differing(), "stored bylines and topic lines differ from the links"
    step("derived: bylines and topic lines checked")
    # Dated once every row a record shows exists.
    Article.objects.update(record_modified_at=timezone.now())
    step("derived: record dates")

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            # Building the documents' index once beats updating it row by row: the one
            # the migrations made (RUM where the server has it, else GIN: 0034), again.
            cursor.execute("SELECT pg_get_indexdef('articles_search_document_idx'::regclass)")
            (document_index,) = cursor.fetchone()
            cursor.execute("DROP INDEX articles_search_document_idx")
            # What the triggers store in articles_search (0019, 0024, 0025), set-based:
            # names and topics aggregated in one pass
            # (the articles were copied in with triggers off, so none has a row yet).
            # Parsing the bodies is most of the work, and an INSERT runs in one process:
            # they are parsed first by parallel workers into a temporary table (CREATE
            # TABLE AS may use them), which the INSERT joins.
            for setting in PARALLEL:
                cursor.execute(f"SET LOCAL {setting} = 0")
            cursor.execute(BODY_VECTORS)
            for setting in PARALLEL:
                cursor.execute(f"RESET {setting}")
            step("derived: bodies parsed")
            cursor.execute(BULK_SEARCH_DOCUMENTS)
            cursor.execute("DROP TABLE bench_body_vectors")
            step("derived: search documents")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # The index sorts its entries in memory (the server's default, 64 MB, spills
            # them to disk many times over at 100,000 long bodies).
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            cursor.execute(document_index)
            step("derived: search index")


def _analyze(*, vacuum: bool = False) -> None:
    """Statistics for this database's own tables (a bare ANALYZE would take the shared
    catalogs' too, and hold their locks while the build's transaction lasts); with vacuum,
    after the commit, the state production would have (visibility maps for index-only scans:
    this PostgreSQL may run with autovacuum off)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        tables = ", ".join(map(connection.ops.quote_name, connection.introspection.table_names()))
        with connection.cursor() as cursor:
            cursor.execute(f"{'VACUUM ' if vacuum else ''}ANALYZE {tables}")


# Words of a body: its space-separated tokens (citations included), counted in C: the spaces,
# plus one for each paragraph or heading (each starts a word no space precedes).
CORPUS_STATS = """
SELECT count(*), sum(w), percentile_disc(0.5) WITHIN GROUP (ORDER BY w),
  percentile_disc(0.99) WITHIN GROUP (ORDER BY w)
FROM (SELECT length(body) - length(replace(body, ' ', ''))
        + (length(body) - length(replace(body, '</', ''))) / 2 AS w
      FROM articles_article) x
"""
LEXEME_STATS = """
SELECT count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY ndoc),
  percentile_disc(0.9) WITHIN GROUP (ORDER BY ndoc),
  percentile_disc(0.99) WITHIN GROUP (ORDER BY ndoc), max(ndoc),
  count(*) FILTER (WHERE ndoc = 1)
FROM lexemes
"""


def corpus_stats(out=print) -> None:
    """Print the corpus's statistics (PostgreSQL): articles and body words, and the search
    documents' lexemes with their posting-list lengths (documents per lexeme, ts_stat)."""
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(CORPUS_STATS)
        articles, words, median, p99 = cursor.fetchone()
        out(f"articles: {articles:,}; body words: {words:,} (median {median:,}, p99 {p99:,})")
        cursor.execute(
            "CREATE TEMP TABLE lexemes AS "
            "SELECT word, ndoc FROM ts_stat('SELECT document FROM articles_search')"
        )
        cursor.execute(LEXEME_STATS)
        n, p50, p90, p99, top, once = cursor.fetchone()
        out(
            f"distinct lexemes: {n:,} ({once:,} in one document); documents per lexeme: "
            f"median {p50:,}, p90 {p90:,}, p99 {p99:,}, max {top:,}"
        )
        cursor.execute("SELECT word, ndoc FROM lexemes ORDER BY ndoc DESC, word LIMIT 20")
        out("most frequent: " + ", ".join(f"{w} {d:,}" for w, d in cursor.fetchall()))
        cursor.execute(
            "SELECT word, ndoc FROM lexemes WHERE word = ANY(%s) ORDER BY ndoc DESC",
            [["cancer", "patient", "breast", "lymphoma", "neutropenia", "stem", *RARE]],
        )
        out("bench query words: " + ", ".join(f"{w} {d:,}" for w, d in cursor.fetchall()))
        cursor.execute("DROP TABLE lexemes")
        out(f"(statistics computed in {time.perf_counter() - started:.1f}s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument(
        "--stats", action="store_true", help="only print the statistics of the archive there"
    )
    args = parser.parse_args()
    from _setup import configure

    configure("archive.sqlite3")
    from django.db import connection

    from articles.models import Article

    if args.stats:
        corpus_stats()
        return
    if Article.objects.exists():
        raise SystemExit("The database already has articles: use an empty one.")
    started = time.perf_counter()
    build(args.articles, verbose=True)
    print(
        f"{args.articles} articles built in {time.perf_counter() - started:.1f}s "
        f"on {connection.vendor}"
    )
    if connection.vendor == "postgresql":
        corpus_stats()


if __name__ == "__main__":
    main()
