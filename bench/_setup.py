"""Shared set-up for the benchmarks: a throwaway database filled with a large archive."""

import os
import random
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def configure(db_name: str) -> Path:
    """Point Django at a fresh database (a temp SQLite file unless DATABASE_URL is set)."""
    workdir = Path(tempfile.mkdtemp(prefix="jhop-bench-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / db_name}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jhop.settings")
    os.environ["DEBUG"] = "false"  # measure what production runs, without the query log
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return workdir


def fill_archive(n_articles: int, *, seed: int = 7) -> None:
    """A journal-sized archive: issues, sections, topics, authors, articles with everything."""
    from django.utils import timezone

    from articles.models import (
        Article,
        ArticleTopic,
        Author,
        Authorship,
        Issue,
        Reference,
        RelatedItem,
        Section,
        Topic,
    )
    from tests.factories import make_journal

    rng = random.Random(seed)
    journal = make_journal()
    sections = [
        Section.objects.get_or_create(name=f"Section {i}", defaults={"slug": f"section-{i}"})[0]
        for i in range(10)
    ]
    topics = [
        Topic.objects.get_or_create(name=f"Topic {i}", defaults={"slug": f"topic-{i}"})[0]
        for i in range(40)
    ]
    authors = Author.objects.bulk_create(
        Author(
            given_name=f"Given{i}",
            family_name=f"Family{i}",
            credentials="PharmD, BCOP",
            slug=f"bench-author-{i}",
        )
        for i in range(max(50, n_articles // 5))
    )
    n_issues = max(4, n_articles // 40)
    issues = Issue.objects.bulk_create(
        Issue(
            journal=journal,
            volume=1 + i // 6,
            number=1 + i % 6,
            cover_date=date(2000, 1, 1) + timedelta(days=61 * i),
            slug=f"bench-issue-{i}",
            status=Issue.Status.PUBLISHED,
            published_at=timezone.now() - timedelta(days=61 * (n_issues - i)),
        )
        for i in range(n_issues)
    )
    body = "".join(
        f"<p>Paragraph {k} about CDK4/6 inhibitors and resistance mechanisms [{k % 15 + 1}].</p>"
        for k in range(20)
    )
    now = timezone.now()
    articles = Article.objects.bulk_create(
        Article(
            title=f"Benchmark article {i} on breast cancer therapy",
            slug=f"bench-article-{i}",
            issue=issues[i % n_issues],
            section=sections[i % len(sections)],
            standfirst="A summary of the evidence for clinicians.",
            body=body,
            status=Article.Status.PUBLISHED,
            published_at=now - timedelta(hours=i),
            position=i,
        )
        for i in range(n_articles)
    )
    Authorship.objects.bulk_create(
        Authorship(article=a, author=au, position=p)
        for a in articles
        for p, au in enumerate(rng.sample(authors, 4), start=1)
    )
    ArticleTopic.objects.bulk_create(
        ArticleTopic(article=a, topic=t, position=p)
        for a in articles
        for p, t in enumerate(rng.sample(topics, 3), start=1)
    )
    Reference.objects.bulk_create(
        Reference(
            article=a, position=p, citation=f"Author A, et al. Title {p}. J Clin. 2021;{p}:1."
        )
        for a in articles
        for p in range(1, 16)
    )
    RelatedItem.objects.bulk_create(
        RelatedItem(article=a, related=articles[(i + k) % n_articles], position=k)
        for i, a in enumerate(articles)
        for k in (1, 2, 3)
    )
