"""A journal-sized archive for the benchmarks, built fast enough for 100,000 articles.

Rows are written in bulk (PostgreSQL COPY, or bulk_create elsewhere) with ids assigned
here, so no signal runs: what the site derives from content when it is saved (the
related-items lists, the search document, the body as readers see it) is computed
afterwards, in bulk, by the same code the site uses (articles.derived.related.rank_many etc.).

    DATABASE_URL=postgres://…/jhop_bench .venv/bin/python bench/archive.py --articles 100000
"""

import argparse
import random
import time
from datetime import date, timedelta

CLINICAL = [
    "breast cancer",
    "lymphoma",
    "leukemia",
    "myeloma",
    "melanoma",
    "lung cancer",
    "prostate cancer",
    "colorectal cancer",
    "ovarian cancer",
    "neutropenia",
    "anemia",
    "thrombocytopenia",
    "infection",
    "nausea",
    "mucositis",
    "neuropathy",
    "cardiotoxicity",
    "hepatotoxicity",
    "nephrotoxicity",
    "tumor lysis syndrome",
    "cytokine release syndrome",
    "immunotherapy",
    "chemotherapy",
    "targeted therapy",
    "biosimilars",
    "adherence",
    "drug interactions",
    "dosing",
    "pharmacokinetics",
    "survivorship",
    "palliative care",
    "oral oncolytics",
    "stem cell transplant",
    "CAR T-cell therapy",
    "checkpoint inhibitors",
    "antibody-drug conjugates",
    "CDK4/6 inhibitors",
    "BTK inhibitors",
    "PARP inhibitors",
    "tyrosine kinase inhibitors",
]
WORDS = [
    "patients",
    "treatment",
    "outcomes",
    "response",
    "survival",
    "toxicity",
    "therapy",
    "clinical",
    "trial",
    "phase",
    "efficacy",
    "safety",
    "dose",
    "regimen",
    "pharmacist",
    "oncology",
    "hematology",
    "management",
    "evidence",
    "review",
    "guideline",
    "risk",
    "resistance",
    "mechanism",
    "biomarker",
    "progression",
    "remission",
    "relapse",
    "adverse",
    "event",
    "monitoring",
    "education",
    "cost",
    "access",
    "community",
    "practice",
    "hospital",
    "infusion",
    "oral",
]
RARE = ["zanubrutinib", "talquetamab", "mirvetuximab", "epcoritamab", "tarlatamab"]
GIVEN = [
    "Robert",
    "Maria",
    "James",
    "Linda",
    "David",
    "Susan",
    "Wei",
    "Priya",
    "Ahmed",
    "Olga",
    "Kenji",
    "Fatima",
    "Carlos",
    "Anna",
]
FAMILY = [
    "Ignoffo",
    "Barbor",
    "Patel",
    "Nguyen",
    "Garcia",
    "Smith",
    "Kowalski",
    "Okafor",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Haddad",
    "Johansson",
    "Dubois",
    "Silva",
    "Murphy",
    "Kim",
    "Chen",
    "Novak",
    "Ivanova",
]


def _writer():
    from django.core.management.color import no_style
    from django.db import connection

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
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row.get(name, defaults[name]) for name in names])
                    count += 1
            for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(sql)
        return count

    return write


def build(n_articles: int, *, seed: int = 7, verbose: bool = False) -> dict:
    """Fill the (empty) content tables with n_articles and everything around them."""
    from django.db import connection, transaction
    from django.utils import timezone

    from articles.derived import related
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

    def step(name):
        timings[name] = time.perf_counter() - started
        if verbose:
            print(f"  {name}: {timings[name]:.1f}s", flush=True)

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
                name=f"Section {i}", defaults={"slug": f"section-{i}", "position": i}
            )[0]
            for i in range(10)
        ]
        topics = [
            Topic.objects.get_or_create(name=name.title(), defaults={"slug": f"topic-{i}"})[0]
            for i, name in enumerate(CLINICAL)
        ]

        def next_id(model):
            return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

        first = next_id(Author)
        n_authors = max(50, n_articles // 5)
        author_ids = list(range(first, first + n_authors))
        write(
            Author,
            (
                {
                    "id": pk,
                    "given_name": rng.choice(GIVEN),
                    "family_name": f"{rng.choice(FAMILY)}{i}",
                    "credentials": "PharmD, BCOP",
                    "slug": f"bench-author-{i}",
                    "affiliation": "Community Cancer Center",
                    "created_at": now,
                    "updated_at": now,
                }
                for i, pk in enumerate(author_ids)
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

        bodies = []
        for b in range(200):
            paragraphs = []
            for k in range(20):
                words = [*rng.sample(WORDS, 12), rng.choice(CLINICAL)]
                rng.shuffle(words)
                paragraphs.append(f"<p>{' '.join(words).capitalize()} [{k % 15 + 1}].</p>")
            if b % 50 == 0:
                paragraphs.append(f"<p>Early data on {RARE[b // 50 % len(RARE)]}.</p>")
            bodies.append(sanitize_html("".join(paragraphs)))
        derived = [_derived_body_fields(body) for body in bodies]
        first = next_id(Article)
        article_ids = list(range(first, first + n_articles))
        write(
            Article,
            (
                {
                    "id": pk,
                    "title": f"{rng.choice(WORDS).capitalize()} and {rng.choice(CLINICAL)} in "
                    f"{rng.choice(WORDS)} {rng.choice(WORDS)}: study {i}",
                    "slug": f"bench-article-{i}",
                    "issue_id": issue_ids[i * n_issues // n_articles],
                    "section_id": sections[i % len(sections)].pk,
                    "standfirst": f"A summary of {rng.choice(CLINICAL)} evidence for clinicians.",
                    "body": bodies[i % len(bodies)],
                    **derived[i % len(bodies)],
                    "status": Article.Status.PUBLISHED,
                    "published_at": now - timedelta(hours=(n_articles - i)),
                    "position": i % 40,
                    "created_at": now,
                    "updated_at": now,
                    "record_modified_at": now,
                }
                for i, pk in enumerate(article_ids)
            ),
        )
        step("articles")
        ids = iter(range(next_id(Authorship), 10**10))
        write(
            Authorship,
            (
                {"id": next(ids), "article_id": a, "author_id": au, "position": p}
                for a in article_ids
                for p, au in enumerate(rng.sample(author_ids, 4), start=1)
            ),
        )
        topic_ids = [t.pk for t in topics]
        ids = iter(range(next_id(ArticleTopic), 10**10))
        write(
            ArticleTopic,
            (
                {"id": next(ids), "article_id": a, "topic_id": t, "position": p}
                for a in article_ids
                for p, t in enumerate(rng.sample(topic_ids, rng.choice((1, 2, 3, 3, 4))), 1)
            ),
        )
        step("authorships and topics")
        ids = iter(range(next_id(Reference), 10**10))
        write(
            Reference,
            (
                {
                    "id": next(ids),
                    "article_id": a,
                    "position": p,
                    "citation": f"Author A, et al. Title {p}. J Clin Oncol. 2021;{p}:1-9.",
                    "doi": f"10.1200/JCO.{a}.{p}",
                }
                for a in article_ids
                for p in range(1, 16)
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
        _derive_in_bulk()
        step("derived data")
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
                "last_name": f"{rng.choice(FAMILY)}{pk}",
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


def _derived_body_fields(body: str) -> dict:
    """What Article.save() stores beside the body (if anything), for a bulk insert."""
    from articles.models import Article

    article = Article(body=body)
    derive = getattr(article, "derive_from_body", None)
    if derive is None:
        return {}
    return derive()


BULK_SEARCH_DOCUMENTS = """
WITH bodies AS (
  SELECT DISTINCT ON (h) h, setweight(to_tsvector('english', coalesce(body, '')), 'C') AS v
  FROM (SELECT md5(body) AS h, body FROM articles_article) x
), names AS (
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
JOIN bodies b ON b.h = md5(a.body)
LEFT JOIN names ON names.article_id = a.id
LEFT JOIN topics ON topics.article_id = a.id
ON CONFLICT (article_id) DO UPDATE
SET status = EXCLUDED.status, published_at = EXCLUDED.published_at,
    issue_id = EXCLUDED.issue_id, section_id = EXCLUDED.section_id,
    document = EXCLUDED.document, excerpt = EXCLUDED.excerpt, topic_ids = EXCLUDED.topic_ids
"""


def _derive_in_bulk() -> None:
    """The stored counts, bylines and topic names, and the search document, which triggers
    keep on PostgreSQL (off during the bulk load)."""
    from django.db import connection
    from django.utils import timezone

    from articles.derived import cards
    from articles.derived.counts import recount
    from articles.models import Article

    recount()
    cards.refresh()
    # Dated once every row a record shows exists.
    Article.objects.update(record_modified_at=timezone.now())

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            # Building the GIN index once beats updating it row by row.
            cursor.execute("DROP INDEX articles_search_document_idx")
            # What the triggers store in articles_search (0019, 0024, 0025), set-based:
            # each distinct body is parsed once, names and topics aggregated in one pass
            # (the articles were copied in with triggers off, so none has a row yet).
            cursor.execute(BULK_SEARCH_DOCUMENTS)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "CREATE INDEX articles_search_document_idx ON articles_search USING gin (document)"
            )


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    args = parser.parse_args()
    from _setup import configure

    configure("archive.sqlite3")
    from django.db import connection

    from articles.models import Article

    if Article.objects.exists():
        raise SystemExit("The database already has articles: use an empty one.")
    started = time.perf_counter()
    build(args.articles, verbose=True)
    print(
        f"{args.articles} articles built in {time.perf_counter() - started:.1f}s "
        f"on {connection.vendor}"
    )


if __name__ == "__main__":
    main()
