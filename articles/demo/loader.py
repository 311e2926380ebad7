"""Writes the demo content so that running it again changes nothing."""

from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sites.models import Site
from django.db import transaction

from articles.demo.content import (
    DEMO_AUTHORS,
    DEMO_NOTE,
    EASTERN,
    EXTRA,
    ISSUES,
    JOURNAL,
    MAIN,
    RELATED,
    SECTIONS,
    SEED_AUTHORS,
    TOPICS,
)
from articles.demo.pictures import chart, cover, missing, portrait
from articles.models import (
    Article,
    ArticleTopic,
    Author,
    Authorship,
    Issue,
    Journal,
    Reference,
    RelatedItem,
    Section,
    Topic,
)
from articles.references import split_identifiers
from articles.sanitizer import sanitize_html
from articles.scholarly.doi import assign_doi
from articles.text import slugify


def _at(ymd: tuple[int, int, int]) -> datetime:
    return datetime(*ymd, 10, 0, tzinfo=EASTERN)


class Tally(dict):
    """How many rows of each kind were created, changed or already as wanted."""

    def count(self, model, outcome: str) -> None:
        counts = self.setdefault(
            model._meta.verbose_name_plural,
            {"created": 0, "updated": 0, "unchanged": 0, "removed": 0},
        )
        counts[outcome] += 1


def _upsert(model, lookup: dict, values: dict, tally: Tally):
    """Create the row, or save only the fields that differ (so updated_at stays put)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        tally.count(model, "created")
        return obj, True
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save()
    tally.count(model, "updated" if changed else "unchanged")
    return obj, False


def _sync_children(model, article: Article, key: str, wanted: dict, tally: Tally) -> None:
    """Make article's rows of model exactly wanted: {key value: other values}."""
    stale = model.objects.filter(article=article).exclude(**{f"{key}__in": list(wanted)})
    for _ in range(stale.delete()[1].get(model._meta.label, 0)):
        tally.count(model, "removed")
    for value, values in wanted.items():
        _upsert(model, {"article": article, key: value}, values, tally)


def load_demo(*, dry_run: bool = False) -> Tally:
    """Create or update the demo content; running it again changes nothing.

    With dry_run, everything is rolled back and no pictures are written to storage.
    """
    with transaction.atomic():
        tally = _load(pictures=not dry_run)
        if dry_run:
            transaction.set_rollback(True)
    return tally


def name_site(site_url: str) -> bool:
    """Point the Site record (absolute links in feeds and sitemaps) at site_url's host.

    `make run` serves on PORT, which may differ from the run that created the database.
    Returns whether it changed.
    """
    domain = urlsplit(site_url).netloc
    return bool(
        Site.objects.filter(pk=settings.SITE_ID).exclude(domain=domain).update(domain=domain)
    )


def _load(*, pictures: bool) -> Tally:
    tally = Tally()
    journal_defaults = {k: v for k, v in JOURNAL.items() if k != "slug"}
    other_primary = Journal.objects.filter(is_primary=True).exclude(slug=JOURNAL["slug"])
    journal_defaults["is_primary"] = not other_primary.exists()
    journal, _ = _upsert(Journal, {"slug": JOURNAL["slug"]}, journal_defaults, tally)

    sections = {}
    for position, (name, kind) in enumerate(SECTIONS, start=1):
        sections[name], _ = _upsert(
            Section,
            {"slug": slugify(name)},
            {"name": name, "content_kind": kind, "position": position},
            tally,
        )
    topics = {}
    for name in TOPICS:
        topics[name], _ = _upsert(Topic, {"slug": slugify(name)}, {"name": name}, tally)

    authors = {}
    for data in SEED_AUTHORS + DEMO_AUTHORS:
        authors[data.slug], _ = _upsert(
            Author,
            {"slug": data.slug},
            {
                "given_name": data.given_name,
                "family_name": data.family_name,
                "credentials": data.credentials,
                "affiliation": data.affiliation,
                "bio": data.bio,
            },
            tally,
        )
        author = authors[data.slug]
        if pictures and data.bio and missing(author.photo):
            author.photo.save(f"{author.slug}.png", portrait(author), save=False)
            author.photo_alt = f"Placeholder portrait with the initials of {author.name}"
            author.save(update_fields=["photo", "photo_alt"])

    issues = {}
    for data in ISSUES:
        issue, _ = _upsert(
            Issue,
            {"slug": data.slug},
            {
                "journal": journal,
                "volume": data.volume,
                "number": data.number,
                "kind": data.kind,
                "title": data.title,
                "cover_date": data.cover_date,
                "status": Issue.Status.PUBLISHED,
                "published_at": datetime(
                    data.cover_date.year, data.cover_date.month, 1, 10, tzinfo=EASTERN
                ),
            },
            tally,
        )
        if pictures and missing(issue.cover_image):
            issue.cover_image.save(f"{issue.slug}.png", cover(issue), save=False)
            issue.cover_image_alt = f"Cover of {issue.label}"
            issue.save(update_fields=["cover_image", "cover_image_alt"])
        issues[data.slug] = issue

    articles = {}
    for data in [MAIN, *RELATED, *EXTRA]:
        published_at = _at(data.published)
        article, _ = _upsert(
            Article,
            {"slug": data.slug},
            {
                "title": data.title,
                "issue": issues.get(data.issue),
                "section": sections.get(data.section),
                "standfirst": data.standfirst,
                "body": sanitize_html(data.body or DEMO_NOTE),
                "status": data.status,
                "published_at": published_at,
                "is_featured": data.is_featured,
            },
            tally,
        )
        if pictures and data.with_chart and missing(article.lead_image):
            article.lead_image.save("demo-chart.png", chart(), save=False)
            article.lead_image_alt = "Bar chart of five columns of demonstration data"
            article.lead_image_caption = "Illustrative figure (demonstration data)."
            article.save(update_fields=["lead_image", "lead_image_alt", "lead_image_caption"])
        # Demo articles were last changed when published, not when the demo was loaded.
        Article.objects.filter(pk=article.pk).exclude(updated_at=published_at).update(
            updated_at=published_at
        )
        if article.status == Article.Status.PUBLISHED and not (
            article.doi and article.first_published_at
        ):
            # What publishing does: a DOI from the journal's pattern, the first publication.
            article.first_published_at = article.first_published_at or published_at
            assign_doi(article)
            Article.objects.filter(pk=article.pk).update(
                doi=article.doi, first_published_at=article.first_published_at
            )
        _sync_children(
            Authorship,
            article,
            "author",
            {authors[slug]: {"position": i} for i, slug in enumerate(data.authors, start=1)},
            tally,
        )
        _sync_children(
            ArticleTopic,
            article,
            "topic",
            {topics[name]: {"position": i} for i, name in enumerate(data.topics, start=1)},
            tally,
        )
        _sync_children(
            Reference,
            article,
            "position",
            {
                i: {"citation": ref.citation, "doi": ref.doi, "pmid": ref.pmid}
                for i, ref in enumerate(map(split_identifiers, data.references), start=1)
            },
            tally,
        )
        articles[data.slug] = article

    main = articles[MAIN.slug]
    _sync_children(
        RelatedItem,
        main,
        "related",
        {articles[d.slug]: {"position": i} for i, d in enumerate(RELATED, start=1)},
        tally,
    )
    return tally
