"""How many live articles each topic, section and author has, and when that list last
changed: stored, so that listing them (the topics index, the sitemap) is cheap.

Counting live articles per topic joins every article of the archive; the home page's
topic list, the topics index and the sitemap would pay that on every view. Instead each
topic, section and author stores how many of its articles are published in a published
issue (or in none), whatever their dates ("counted"), and when that list of articles last
changed (``articles_changed_at``: an article added, withdrawn or edited; the sitemap's
lastmod of the topic's, section's or author's page).

Writes keep them by difference, in the writer's transaction: an article that becomes
counted (published, or its issue published) adds one to each of its topics, its authors
and its section; one that stops being counted takes one off; a counted article moved to
another section, or given another topic or author, moves its one. The article's state
before the write is read from the database, with its row locked until the transaction
ends (not from the object the writer loaded, which may be stale), so two writers cannot
both count one change. A write costs a few queries on the rows it touches, whatever the
size of the archive. ``recount()`` computes everything from scratch: bulk loads (which
bypass the ORM's signals) call it, as can ``manage.py recount_articles``.

Time changes what is live with no write (a scheduled article or issue goes live), so
readers get the stored count less the few not due yet, found through the
publication-date indexes: the counts are never stale and never cached.
"""

from typing import NamedTuple

from django.db import transaction
from django.db.models import (
    Count,
    DateTimeField,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from articles.derived.pagecache import current_version, next_go_live
from articles.models import Article, ArticleTopic, Author, Authorship, Issue, Section, Topic
from articles.models.journal import PublishState


def _counted():
    """Articles a count includes: published, in a published issue or in none."""
    return Article.objects.filter(
        Q(issue__isnull=True) | Q(issue__status=PublishState.PUBLISHED),
        status=PublishState.PUBLISHED,
    )


def _count(queryset, group: str):
    counted = queryset.order_by().values(group).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _latest(queryset, group: str):
    changed = (
        queryset.order_by()
        .values(group)
        .annotate(at=Max(Greatest("article__updated_at", "article__published_at")))
        .values("at")
    )
    return Subquery(changed, output_field=DateTimeField())


def recount(*, topic_ids=None, section_ids=None, author_ids=None) -> None:
    """Compute the stored counts and dates of these topics, sections and authors from
    scratch (None: all of them)."""
    counted = _counted().values("pk")
    links = (
        (Topic, topic_ids, ArticleTopic, "topic"),
        (Author, author_ids, Authorship, "author"),
    )
    for model, ids, link, field in links:
        if ids is not None and not ids:
            continue
        rows = model.objects.all() if ids is None else model.objects.filter(pk__in=ids)
        theirs = link.objects.filter(**{field: OuterRef("pk")}, article__in=counted)
        rows.update(
            published_count=_count(theirs, field), articles_changed_at=_latest(theirs, field)
        )
    if section_ids is None or section_ids:
        sections = Section.objects.all()
        if section_ids is not None:
            sections = sections.filter(pk__in=section_ids)
        theirs = _counted().filter(section=OuterRef("pk"))
        latest = (
            theirs.order_by()
            .values("section")
            .annotate(at=Max(Greatest("updated_at", "published_at")))
            .values("at")
        )
        sections.update(
            published_count=_count(theirs, "section"),
            articles_changed_at=Subquery(latest, output_field=DateTimeField()),
        )


def fresh_counts(model) -> dict[int, tuple[int, object]]:
    """Each topic's, section's or author's (model) count and date from scratch, in one
    grouped query: {pk: (published_count, articles_changed_at)}; rows with no counted
    article are left out (0 and no date)."""
    if model is Section:
        rows = (
            _counted()
            .order_by()
            .values("section_id")
            .annotate(n=Count("*"), at=Max(Greatest("updated_at", "published_at")))
        )
        key = "section_id"
    else:
        link, key = (ArticleTopic, "topic_id") if model is Topic else (Authorship, "author_id")
        rows = (
            link.objects.filter(article__in=_counted().values("pk"))
            .order_by()
            .values(key)
            .annotate(
                n=Count("*"), at=Max(Greatest("article__updated_at", "article__published_at"))
            )
        )
    return {row[key]: (row["n"], row["at"]) for row in rows if row[key] is not None}


def not_due_yet() -> list[int]:
    """Counted articles that are not live yet: scheduled, or in a scheduled issue. Usually
    none, known from the page cache's next go-live (no query); else a few, found through
    the publication-date indexes."""
    if next_go_live(current_version()) is None:
        return []
    now = timezone.now()
    scheduled_issues = Issue.objects.filter(status=PublishState.PUBLISHED, published_at__gt=now)
    return list(
        _counted()
        .filter(published_at__gt=now)
        .order_by()
        .values_list("pk", flat=True)
        .union(
            _counted().filter(issue__in=scheduled_issues).order_by().values_list("pk", flat=True)
        )
    )


def _not_due(queryset, group: str, pending: list[int]):
    return _count(queryset, group) if pending else Value(0)


def with_live_counts(subjects, pending: list[int] | None = None):
    """Topics, sections or authors annotated with `not_due_yet`: how many of their counted
    articles are not live yet (none, with no query, unless something is scheduled), and
    filtered to those with live articles."""
    if pending is None:
        pending = not_due_yet()
    model = subjects.model
    if model is Section:
        not_due = Article.objects.filter(section=OuterRef("pk"), pk__in=pending)
        group = "section"
    else:
        link, group = (ArticleTopic, "topic") if model is Topic else (Authorship, "author")
        not_due = link.objects.filter(**{group: OuterRef("pk")}, article_id__in=pending)
    annotated = subjects.annotate(not_due_yet=_not_due(not_due, group, pending))
    if pending:
        return annotated.filter(published_count__gt=F("not_due_yet"))
    return annotated.filter(published_count__gt=0)


def topics_with_counts() -> list[Topic]:
    """Topics that have live articles, by name, with how many (num_articles)."""
    return _live(with_live_counts(Topic.objects.order_by("name")))


def sections_with_counts() -> list[Section]:
    """Sections that have live articles, in their order, with how many (num_articles)."""
    return _live(with_live_counts(Section.objects.all()))


def live_count(subject: Topic | Section) -> int:
    """How many live articles a topic or section has (its page's paginator count)."""
    pending = not_due_yet()
    if not pending:
        return subject.published_count
    if isinstance(subject, Topic):
        links = ArticleTopic.objects.filter(topic=subject, article_id__in=pending)
    else:
        links = Article.objects.filter(section=subject, pk__in=pending)
    return max(subject.published_count - links.count(), 0)


def _live(objects) -> list:
    shown = []
    for obj in objects:
        obj.num_articles = obj.published_count - obj.not_due_yet
        if obj.num_articles > 0:
            shown.append(obj)
    return shown


# Keeping them by difference -----------------------------------------------------------


class _State(NamedTuple):
    counted: bool
    section_id: int | None
    changed_at: object  # when readers' view of it last changed (updated or gone live)


def _article_state(article_id: int, *, lock: bool = False) -> _State | None:
    """The article's counted state as the database has it; lock: its row is locked until
    the transaction ends (inside one), so no other writer changes it meanwhile."""
    rows = Article.objects.filter(pk=article_id)
    if lock and transaction.get_connection().in_atomic_block:
        rows = rows.select_for_update(of=("self",))
    row = rows.values_list(
        "status", "issue_id", "issue__status", "section_id", "updated_at", "published_at"
    ).first()
    if row is None:
        return None
    status, issue_id, issue_status, section_id, updated_at, published_at = row
    counted = status == PublishState.PUBLISHED and (
        issue_id is None or issue_status == PublishState.PUBLISHED
    )
    return _State(counted, section_id, max(filter(None, (updated_at, published_at))))


def _shift(rows, delta, changed_at) -> None:
    """Add delta to the rows' counts (never below zero) and move their date to changed_at
    if that is later."""
    update = {
        "articles_changed_at": Greatest(
            Coalesce("articles_changed_at", Value(changed_at)), Value(changed_at)
        )
    }
    if delta:
        update["published_count"] = Greatest(F("published_count") + delta, Value(0))
    rows.update(**update)


def article_changing(sender, instance, raw=False, **kwargs):
    """pre_save and pre_delete: the state the write starts from, its row locked."""
    if not raw and instance.pk:
        instance._counts_before = _article_state(instance.pk, lock=True)


def article_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    before = instance.__dict__.pop("_counts_before", None)
    after = _article_state(instance.pk)
    if not (after.counted or (before and before.counted)):
        return
    was_counted = bool(before and before.counted)
    changed_at = after.changed_at if after.counted else timezone.now()
    delta = int(after.counted) - int(was_counted)
    _shift(Topic.objects.filter(article_topics__article=instance), delta, changed_at)
    _shift(Author.objects.filter(authorships__article=instance), delta, changed_at)
    old_section = before.section_id if was_counted else None
    new_section = after.section_id if after.counted else None
    if old_section == new_section:
        _shift(Section.objects.filter(pk=new_section), 0, changed_at)
    else:
        _shift(Section.objects.filter(pk=old_section), -1, changed_at)
        _shift(Section.objects.filter(pk=new_section), 1, changed_at)


def article_deleted(sender, instance, **kwargs):
    # Its topic links and authorships went first (their receivers took its one off).
    before = instance.__dict__.pop("_counts_before", None)
    if before and before.counted:
        _shift(Section.objects.filter(pk=before.section_id), -1, timezone.now())


_LINKS = {ArticleTopic: (Topic, "topic_id"), Authorship: (Author, "author_id")}


def link_loaded(sender, instance, **kwargs):
    instance._counts_target = instance.__dict__.get(_LINKS[sender][1])


def link_saved(sender, instance, created, raw=False, **kwargs):
    model, field = _LINKS[sender]
    before = None if created else instance.__dict__.get("_counts_target")
    after = instance.__dict__.get(field)
    instance._counts_target = after
    if raw or before == after:
        return
    state = _article_state(instance.article_id, lock=True)
    if state and state.counted:
        now = timezone.now()
        if before is not None:
            _shift(model.objects.filter(pk=before), -1, now)
        _shift(model.objects.filter(pk=after), 1, now)


def link_deleted(sender, instance, **kwargs):
    model, field = _LINKS[sender]
    state = _article_state(instance.article_id, lock=True)
    if state and state.counted:
        _shift(model.objects.filter(pk=getattr(instance, field)), -1, timezone.now())


def issue_changing(sender, instance, raw=False, **kwargs):
    if not raw and instance.pk:
        rows = Issue.objects.filter(pk=instance.pk)
        if transaction.get_connection().in_atomic_block:
            rows = rows.select_for_update()
        instance._counts_before = rows.values_list("status", flat=True).first()


def issue_saved(sender, instance, created, raw=False, **kwargs):
    before = instance.__dict__.pop("_counts_before", None)
    if raw or created or before is None:
        return
    after = Issue.objects.filter(pk=instance.pk).values_list("status", flat=True).first()
    published = PublishState.PUBLISHED
    if (before == published) == (after == published):
        return
    sign = 1 if after == published else -1
    now = timezone.now()
    articles = Article.objects.filter(issue=instance, status=published)
    for model, link, group in (
        (Topic, ArticleTopic, "topic"),
        (Author, Authorship, "author"),
    ):
        theirs = link.objects.filter(**{group: OuterRef("pk")}, article__in=articles)
        touched = link.objects.filter(article__in=articles).values(f"{group}_id")
        model.objects.filter(pk__in=touched).update(
            published_count=Greatest(F("published_count") + sign * _count(theirs, group), 0),
            articles_changed_at=Greatest(Coalesce("articles_changed_at", Value(now)), Value(now)),
        )
    theirs = articles.filter(section=OuterRef("pk"))
    Section.objects.filter(pk__in=articles.values("section_id")).update(
        published_count=Greatest(F("published_count") + sign * _count(theirs, "section"), 0),
        articles_changed_at=Greatest(Coalesce("articles_changed_at", Value(now)), Value(now)),
    )


def subject_restored(sender, instance, raw=False, **kwargs):
    """A topic, section or author written raw (a version restored, a fixture loaded) may
    carry counts from another time: count them again."""
    if raw:
        field = {Topic: "topic_ids", Section: "section_ids", Author: "author_ids"}[sender]
        recount(**{"topic_ids": (), "section_ids": (), "author_ids": (), field: {instance.pk}})
