"""Related items, ranked when content changes and stored, so a page reads them in one query.

The ranking: the editors' picks in their order; then articles sharing the most topics,
newest first; then the newest articles, so that the list is always full. Never the
article itself. Candidates are the articles whose status is published, whatever their
date or issue: pages read the list through Article.objects.published(), so a scheduled
article (or one waiting for its issue) shows once it is live and a withdrawn one never
shows, even before its neighbours' lists are refreshed. STORED entries are kept per
article, more than a page shows, so that a few entries not live yet leave no gap.

Every write that can change a list refreshes the lists it can reach (the signal
receivers below catch every path: the admin and its inlines, the services, deletes):
an article published, withdrawn or re-dated reaches the lists that show it, those of
the articles sharing one of its topics (it may now rank there) and those filled with
the newest articles; re-topicking reaches the same plus its own list; picks reach
their own list. A handful of lists is refreshed at once, inside the writer's
transaction; more (a busy topic in a large archive) by a background task after commit,
which ranks them in bulk in memory (rank_many) and rewrites only the lists that changed.
"""

import heapq
import threading
from collections import Counter
from collections.abc import Iterable
from itertools import combinations

from django.db import connection, transaction
from django.db.models import F
from django_tasks import task

from articles.derived.pagecache import invalidate
from articles.models import Article, ArticleTopic, RankedRelated, RelatedItem
from articles.models.journal import PublishState

STORED = 16
# At most this many lists are refreshed inside the writer's transaction.
SYNC_LIMIT = 40
# From this many lists on, ranking the whole archive in memory beats ranking in the database.
BULK_FROM = 60
# Topic combinations indexed for the in-memory ranking (articles have a few topics).
MAX_COMBINATION = 4

Entry = tuple[int, int, bool]  # (related article id, shared topics, is picked)


def candidates():
    return Article.objects.filter(status=PublishState.PUBLISHED)


def rank_few(article_ids: Iterable[int], *, exclude: Iterable[int] = ()) -> dict:
    """Lists for a few articles, ranked in the database with four queries in all.

    The shared-topic ranking is one windowed query: for each target, every published
    article sharing a topic with it, counted and numbered in ranking order, the first
    STORED kept (enough: at most as many picks drop out as the picks fill).
    """
    exclude = set(exclude)
    ids = sorted(Article.objects.filter(pk__in=set(article_ids)).values_list("pk", flat=True))
    if not ids:
        return {}
    picks: dict[int, list[int]] = {}
    for article_id, related_id in (
        RelatedItem.objects.filter(article_id__in=ids, related__status=PublishState.PUBLISHED)
        .order_by("article_id", "position", "pk")
        .values_list("article_id", "related_id")
    ):
        if related_id not in exclude:
            picks.setdefault(article_id, []).append(related_id)
    sharing: dict[int, list[tuple[int, int]]] = {}
    for target, pk, shared in _sharing_topics(ids, exclude):
        sharing.setdefault(target, []).append((pk, shared))
    newest = list(
        candidates()
        .exclude(pk__in=exclude)
        .order_by(F("published_at").desc(nulls_last=True), "-pk")
        .values_list("pk", flat=True)[: STORED + 1]
    )
    results = {}
    for article_id in ids:
        chosen = picks.get(article_id, [])[:STORED]
        entries: list[Entry] = [(pk, 0, True) for pk in chosen]
        taken = {article_id, *chosen}
        for pk, shared in sharing.get(article_id, ()):
            if len(entries) == STORED:
                break
            if pk not in taken:
                entries.append((pk, shared, False))
                taken.add(pk)
        for pk in newest:
            if len(entries) == STORED:
                break
            if pk not in taken:
                entries.append((pk, 0, False))
                taken.add(pk)
        results[article_id] = entries
    return results


def _sharing_topics(ids: list[int], exclude: set[int]) -> list[tuple[int, int, int]]:
    """(target, article, topics shared) for the STORED best-ranked sharers of each target."""
    links = ArticleTopic._meta.db_table
    articles = Article._meta.db_table
    not_excluded = ""
    params: list = [*ids, PublishState.PUBLISHED]
    if exclude:
        not_excluded = f"AND c.article_id NOT IN ({', '.join(['%s'] * len(exclude))})"
        params += sorted(exclude)
    # Only table names and placeholders are formatted in; every value is a parameter.
    sql = f"""
        SELECT target, article_id, shared FROM (
            SELECT t.article_id AS target, c.article_id AS article_id, COUNT(*) AS shared,
                   ROW_NUMBER() OVER (
                       PARTITION BY t.article_id
                       ORDER BY COUNT(*) DESC, a.published_at DESC NULLS LAST, a.id DESC
                   ) AS place
            FROM {links} t
            JOIN {links} c ON c.topic_id = t.topic_id AND c.article_id <> t.article_id
            JOIN {articles} a ON a.id = c.article_id
            WHERE t.article_id IN ({", ".join(["%s"] * len(ids))}) AND a.status = %s
            {not_excluded}
            GROUP BY t.article_id, c.article_id, a.published_at, a.id
        ) ranked
        WHERE place <= %s
        ORDER BY target, place
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, STORED])
        return cursor.fetchall()


def rank_many(article_ids: Iterable[int] | None, *, exclude: Iterable[int] = ()) -> dict:
    """Lists for many articles (None: all of them), ranked in memory from three queries.

    Candidates are indexed by every combination of up to MAX_COMBINATION of their topics,
    newest first, so an article's best matches are found by walking the lists of its own
    topic combinations, largest first, and stopping once STORED are found.
    """
    exclude = set(exclude)
    order = [
        pk
        for pk in candidates()
        .order_by(F("published_at").desc(nulls_last=True), "-pk")
        .values_list("pk", flat=True)
        if pk not in exclude
    ]
    topics: dict[int, set[int]] = {}
    for article_id, topic_id in ArticleTopic.objects.values_list("article_id", "topic_id"):
        topics.setdefault(article_id, set()).add(topic_id)
    index: dict[tuple[int, ...], list[int]] = {}
    for r, pk in enumerate(order):
        own = sorted(topics.get(pk, ()))
        for size in range(1, min(len(own), MAX_COMBINATION) + 1):
            for combination in combinations(own, size):
                index.setdefault(combination, []).append(r)
    if article_ids is None:
        article_ids = Article.objects.values_list("pk", flat=True)
    targets = set(article_ids) - exclude
    picks: dict[int, list[int]] = {}
    for article_id, related_id in (
        RelatedItem.objects.filter(related__status=PublishState.PUBLISHED)
        .order_by("position", "pk")
        .values_list("article_id", "related_id")
    ):
        if article_id in targets and related_id not in exclude:
            picks.setdefault(article_id, []).append(related_id)

    results = {}
    for article_id in targets:
        chosen = picks.get(article_id, [])[:STORED]
        entries: list[Entry] = [(pk, 0, True) for pk in chosen]
        taken = {article_id, *chosen}
        own = topics.get(article_id, set())
        if own and len(entries) < STORED:
            entries += _by_shared_topics(own, index, order, topics, taken, STORED - len(entries))
        if len(entries) < STORED:
            for pk in order:
                if pk not in taken:
                    entries.append((pk, 0, False))
                    taken.add(pk)
                    if len(entries) == STORED:
                        break
        results[article_id] = entries
    return results


def _by_shared_topics(own, index, order, topics, taken, wanted) -> list[Entry]:
    found: list[Entry] = []
    if len(own) > MAX_COMBINATION:
        counts = Counter(r for t in own for r in index.get((t,), ()))
        for r, shared in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            pk = order[r]
            if pk not in taken:
                found.append((pk, shared, False))
                taken.add(pk)
                if len(found) == wanted:
                    break
        return found
    own_sorted = sorted(own)
    for size in range(len(own_sorted), 0, -1):
        lists = [index.get(c, ()) for c in combinations(own_sorted, size)]
        # An article sharing exactly `size` topics is in exactly one of these lists; those
        # sharing more were all taken at a larger size.
        for r in heapq.merge(*lists):
            pk = order[r]
            if pk in taken or len(topics.get(pk, set()) & own) != size:
                continue
            found.append((pk, size, False))
            taken.add(pk)
            if len(found) == wanted:
                return found
    return found


def rank(article_ids: Iterable[int], *, exclude: Iterable[int] = ()) -> dict:
    article_ids = set(article_ids)
    if len(article_ids) >= BULK_FROM:
        return rank_many(article_ids, exclude=exclude)
    return rank_few(article_ids, exclude=exclude)


def stored_lists(article_ids: Iterable[int]) -> dict[int, list[Entry]]:
    """The lists stored for these articles, as rank() gives them."""
    stored: dict[int, list[Entry]] = {}
    ids = list(article_ids)
    for start in range(0, len(ids), 5000):
        for article_id, related_id, shared, is_picked in (
            RankedRelated.objects.filter(article_id__in=ids[start : start + 5000])
            .order_by("article_id", "position")
            .values_list("article_id", "related_id", "shared", "is_picked")
        ):
            stored.setdefault(article_id, []).append((related_id, shared, is_picked))
    return stored


def store(lists: dict[int, list[Entry]], *, bump: bool = True) -> int:
    """Write the lists that differ from what is stored; returns how many changed.

    bump: unused (every changed list's page is invalidated: its related:<pk> tag).
    """
    stored = stored_lists(lists)
    changed = [pk for pk, entries in lists.items() if stored.get(pk, []) != entries]
    for start in range(0, len(changed), 5000):
        RankedRelated.objects.filter(article_id__in=changed[start : start + 5000]).delete()
    RankedRelated.objects.bulk_create(
        (
            RankedRelated(
                article_id=pk, related_id=related_id, position=p, shared=shared, is_picked=picked
            )
            for pk in changed
            for p, (related_id, shared, picked) in enumerate(lists[pk])
        ),
        batch_size=5000,
    )
    # Only published articles' pages show their lists (a draft's shows in its preview).
    for start in range(0, len(changed), 5000):
        live = (
            candidates().filter(pk__in=changed[start : start + 5000]).values_list("pk", flat=True)
        )
        invalidate(f"related:{pk}" for pk in live)
    return len(changed)


def reach(article_ids: Iterable[int], *, topic_ids: Iterable[int] = (), limit=None) -> set[int]:
    """The articles whose lists a change to these articles (and these topics) can alter.

    With a limit, stops looking once more than limit are found.
    """
    ids = set(article_ids)
    found = set(ids)

    def add(queryset):
        if limit is not None and len(found) > limit:
            return
        values = queryset.order_by().values_list("article_id", flat=True).distinct()
        found.update(values if limit is None else values[: limit + 1])

    add(RankedRelated.objects.filter(related_id__in=ids))
    add(RelatedItem.objects.filter(related_id__in=ids))
    live = set(candidates().filter(pk__in=ids).values_list("pk", flat=True))
    if live:
        shared = set(topic_ids) | set(
            ArticleTopic.objects.filter(article_id__in=live).values_list("topic_id", flat=True)
        )
        if shared:
            add(ArticleTopic.objects.filter(topic_id__in=shared))
        add(RankedRelated.objects.filter(shared=0, is_picked=False))
        if candidates().count() <= STORED + 1:
            # A small archive: lists may be short of entries, and any newcomer fits.
            add(Article.objects.annotate(article_id=F("pk")))
    return found


def refresh(article_ids: Iterable[int], *, topic_ids: Iterable[int] = (), gone=()) -> None:
    """Refresh every list a change to these articles can reach: now if few, else after commit.

    gone: articles being deleted; the lists that showed them were noted before the delete.
    """
    gone = set(gone)
    ids = set(article_ids) - gone
    affected = reach(ids, topic_ids=topic_ids, limit=SYNC_LIMIT) if ids else set()
    showed_gone = set().union(*(_deleting().get(pk, set()) for pk in gone)) - gone
    affected = (affected | showed_gone) - gone
    if len(affected) <= SYNC_LIMIT:
        # The write that led here makes cached pages stale itself, if readers see it.
        store(rank(affected, exclude=gone), bump=False)
    else:
        _defer(ids, set(topic_ids), showed_gone)


def refresh_now(
    article_ids: Iterable[int], *, topic_ids: Iterable[int] = (), lists: Iterable[int] = ()
) -> int:
    """Refresh every list the change can reach, however many, and the given lists."""
    affected = reach(article_ids, topic_ids=topic_ids) | set(lists)
    return store(rank(affected))


def refresh_all() -> int:
    """Rank every article's list again (after a bulk import; manage.py rank_related)."""
    return store(rank_many(None))


# Receivers --------------------------------------------------------------------------

_local = threading.local()


def _deleting() -> dict[int, set[int]]:
    if not hasattr(_local, "deleting"):
        _local.deleting = {}
    return _local.deleting


def _state_listing_gone(gone) -> set[int]:
    listing = set()
    for pk in gone:
        listing |= _deleting().get(pk, set())
    return listing - set(gone)


def _pending() -> dict[str, set[int]]:
    if not hasattr(_local, "pending"):
        _local.pending = {"articles": set(), "topics": set(), "lists": set()}
    return _local.pending


def _defer(article_ids: set[int], topic_ids: set[int], lists: set[int]) -> None:
    pending = _pending()
    registered = any(func is _flush for _, func, _ in connection.run_on_commit)
    if not registered:
        # Nothing queued in this transaction (what is left came from a rolled-back one).
        for values in pending.values():
            values.clear()
    pending["articles"] |= article_ids
    pending["topics"] |= topic_ids
    pending["lists"] |= lists
    if not registered:
        transaction.on_commit(_flush, robust=True)


@task()
def refresh_related_items(
    article_ids: list[int], topic_ids: list[int], lists: list[int] | None = None
) -> int:
    """Re-rank the lists a change reached when they were too many to do at once."""
    return refresh_now(article_ids, topic_ids=topic_ids, lists=lists or ())


def _flush() -> None:
    pending = {name: sorted(values) for name, values in _pending().items()}
    for values in _pending().values():
        values.clear()
    if pending["articles"] or pending["lists"]:
        refresh_related_items.enqueue(
            article_ids=pending["articles"], topic_ids=pending["topics"], lists=pending["lists"]
        )


_MISSING = object()


def _ranking_fields(article) -> tuple:
    # From __dict__: reading a deferred field would cost a query.
    return tuple(article.__dict__.get(name, _MISSING) for name in ("status", "published_at"))


def article_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_ranking_loaded", None)
    instance._ranking_loaded = _ranking_fields(instance)
    if created or before != instance._ranking_loaded or _MISSING in instance._ranking_loaded:
        refresh([instance.pk])


def article_deleting(sender, instance, **kwargs):
    _deleting()[instance.pk] = set(
        RankedRelated.objects.filter(related_id=instance.pk).values_list("article_id", flat=True)
    )


def article_deleted(sender, instance, **kwargs):
    try:
        refresh([], gone={instance.pk})
    finally:
        _deleting().pop(instance.pk, None)


def topic_link_changed(sender, instance, raw=False, **kwargs):
    if raw or instance.article_id in _deleting():
        return
    refresh([instance.article_id], topic_ids=[instance.topic_id])


def pick_changed(sender, instance, raw=False, **kwargs):
    if raw or instance.article_id in _deleting() or instance.related_id in _deleting():
        return
    store(rank([instance.article_id]), bump=False)


def article_loaded(sender, instance, **kwargs):
    instance._ranking_loaded = _ranking_fields(instance)
