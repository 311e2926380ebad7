"""How many live articles each topic and section has: stored, so listing them is cheap.

Counting live articles per topic joins every article of the archive; the home page's
topic list and the topics index would pay that on every view. Instead each topic and
section stores how many of its articles are published in a published issue (or in
none), whatever their dates: every write that can change that (an article published,
withdrawn, moved to another issue or section, re-topicked or deleted; an issue
published or withdrawn) recounts the topics and sections it touches, in the writer's
transaction. Time changes what is live with no write (a scheduled article or issue
goes live), so readers get the stored count less the few not due yet, found through
the publication-date indexes: the counts are never stale and never cached.
"""

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from articles.caching import _next_go_live, current_version
from articles.models import Article, ArticleTopic, Issue, Section, Topic
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


def recount(*, topic_ids=None, section_ids=None) -> None:
    """Store the counts of these topics and sections (None: all of them)."""
    counted = _counted().values("pk")
    if topic_ids is None or topic_ids:
        topics = Topic.objects.all()
        if topic_ids is not None:
            topics = topics.filter(pk__in=topic_ids)
        topics.update(
            published_count=_count(
                ArticleTopic.objects.filter(topic=OuterRef("pk"), article__in=counted), "topic"
            )
        )
    if section_ids is None or section_ids:
        sections = Section.objects.all()
        if section_ids is not None:
            sections = sections.filter(pk__in=section_ids)
        sections.update(
            published_count=_count(_counted().filter(section=OuterRef("pk")), "section")
        )


def _not_due_yet() -> list[int]:
    """Counted articles that are not live yet: scheduled, or in a scheduled issue. Usually
    none, known from the page cache's next go-live (no query); else a few, found through
    the publication-date indexes."""
    if _next_go_live(current_version()) is None:
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


def topics_with_counts() -> list[Topic]:
    """Topics that have live articles, by name, with how many (num_articles)."""
    pending = _not_due_yet()
    not_due = ArticleTopic.objects.filter(topic=OuterRef("pk"), article_id__in=pending)
    return _live(
        Topic.objects.filter(published_count__gt=0)
        .annotate(not_due_yet=_not_due(not_due, "topic", pending))
        .order_by("name")
    )


def sections_with_counts() -> list[Section]:
    """Sections that have live articles, in their order, with how many (num_articles)."""
    pending = _not_due_yet()
    not_due = Article.objects.filter(section=OuterRef("pk"), pk__in=pending)
    return _live(
        Section.objects.filter(published_count__gt=0).annotate(
            not_due_yet=_not_due(not_due, "section", pending)
        )
    )


def live_count(subject: Topic | Section) -> int:
    """How many live articles a topic or section has (its page's paginator count)."""
    pending = _not_due_yet()
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


# Receivers --------------------------------------------------------------------------

_FIELDS = ("status", "issue_id", "section_id")
_MISSING = object()


def _snapshot(obj, fields) -> tuple:
    # From __dict__: reading a deferred field would cost a query.
    return tuple(obj.__dict__.get(name, _MISSING) for name in fields)


def article_loaded(sender, instance, **kwargs):
    instance._counts_loaded = _snapshot(instance, _FIELDS)


def article_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_counts_loaded", None)
    after = _snapshot(instance, _FIELDS)
    instance._counts_loaded = after
    if not created and before == after and _MISSING not in after:
        return
    sections = {instance.section_id}
    if before and before[2] is not _MISSING:
        sections.add(before[2])
    recount(
        topic_ids=set(instance.article_topics.values_list("topic_id", flat=True)),
        section_ids=sections - {None},
    )


def article_deleted(sender, instance, **kwargs):
    # Its topic links went first (their receiver recounted the topics).
    if instance.section_id:
        recount(topic_ids=(), section_ids={instance.section_id})


def topic_link_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        recount(topic_ids={instance.topic_id}, section_ids=())


def topics_changed(sender, instance, action, pk_set, **kwargs):
    if action == "pre_clear":
        instance._counts_clear = set(
            ArticleTopic.objects.filter(
                **({"article": instance} if isinstance(instance, Article) else {"topic": instance})
            ).values_list("topic_id", flat=True)
        )
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if isinstance(instance, Article):
        topics = instance.__dict__.pop("_counts_clear", set()) if pk_set is None else pk_set
    else:
        topics = {instance.pk}
    recount(topic_ids=set(topics), section_ids=())


def issue_loaded(sender, instance, **kwargs):
    instance._counts_loaded = _snapshot(instance, ("status",))


def issue_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_counts_loaded", None)
    after = _snapshot(instance, ("status",))
    instance._counts_loaded = after
    if created or before == after:
        return
    articles = Article.objects.filter(issue=instance)
    recount(
        topic_ids=set(
            ArticleTopic.objects.filter(article__in=articles).values_list("topic_id", flat=True)
        ),
        section_ids=set(articles.values_list("section_id", flat=True)) - {None},
    )
