"""The one mechanism that keeps every derived copy in step (what they are: declarations).

Every write that can change a copy reaches the hub, by one of two doors:

- model signals, for writes through the ORM's model methods (the admin and its inlines,
  admin actions, services, deletes, django-reversion restores and fixtures, which save
  raw);
- KeptQuerySet (articles.derived.writes), for the writes that send no signal:
  QuerySet.update(), bulk_update(), bulk_create() and a related manager's add().

Both keep the same copies the same way: the stored bylines and page copies (cards), the
counts (counts), the related lists (related), the record datestamps (records), and the
body's HTML for writes that bypass Article.save().

Locks. On PostgreSQL a copy computed from rows another transaction is changing can miss
that change for good (an author renamed while another request links that author to a
draft: each transaction reads the other's rows as they were). So a writer locks the
rows a copy is computed from before computing it, always in one order (authors, then
topics, then sections, then articles, each by key), and computes after the lock is
granted, when the other transaction's rows are visible: a rename holds the author's row
(its UPDATE locks it) while it refreshes the articles that list the author; a link waits
for that lock before it reads the author's name. A publish and a link meet on the
article's row (articles.derived.counts). SQLite has one writer at a time and needs none.
"""

from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_init, post_save, pre_delete, pre_save

from articles.derived import cards, counts, pagecache, records, related, search_queue, writes
from articles.derived.locks import lock, lock_for, locking, refresh_search, subjects_of
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

# The article fields the counts and related lists are computed from.
COUNTED_FIELDS = {
    "status",
    "issue",
    "issue_id",
    "section",
    "section_id",
    "published_at",
    "updated_at",
}
LINKS = {Authorship: (Author, "author_id"), ArticleTopic: (Topic, "topic_id")}


def _merge(*subjects: dict) -> dict[str, set[int]]:
    merged = {"author_ids": set(), "topic_ids": set(), "section_ids": set()}
    for found in subjects:
        for key, values in found.items():
            merged[key] |= {v for v in values if v is not None}
    return merged


def refresh_articles(
    article_ids, *, before: dict | None = None, topic_ids=(), touch: bool = True
) -> None:
    """Recompute every copy of these articles, and the counts of their subjects (and of
    `before`, the subjects they had), from the rows as they are."""
    ids = set(article_ids)
    if not ids:
        return
    with transaction.atomic():
        subjects = _merge(lock_for(ids), before or {})
        counts.recount(**subjects)
        cards.refresh(ids)
        refresh_search(ids)
        related.refresh(ids, topic_ids=set(topic_ids) | subjects["topic_ids"])
        if touch:
            records.touch(ids)


def remember_first_publication(articles) -> None:
    """Live articles about to be written whose first publication was never recorded
    (imported so): they were seen, so a withdrawal must reach harvesters as a deleted
    record (Article.objects.withdrawn())."""
    articles.published().filter(first_published_at__isnull=True).update(
        first_published_at=F("published_at")
    )


# Signal receivers --------------------------------------------------------------------


def article_saving(sender, instance, raw=False, **kwargs):
    if raw:
        instance._derived_before = subjects_of([instance.pk]) if instance.pk else {}
        return
    if instance.pk:
        if instance.first_published_at is None:
            seen = Article.objects.published().filter(pk=instance.pk, first_published_at=None)
            if first := seen.values_list("published_at", flat=True).first():
                # Written now: the save may name its fields and leave this one out.
                seen.update(first_published_at=first)
                instance.first_published_at = first
        if locking():
            subjects = subjects_of([instance.pk])
            lock(Author, subjects["author_ids"])
            lock(Topic, subjects["topic_ids"])
    counts.article_changing(sender, instance)


def article_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        # A restored version or a fixture carries copies of its own time.
        refresh_articles([instance.pk], before=instance.__dict__.pop("_derived_before", {}))
        return
    counts.article_saved(sender, instance, created)
    related.article_saved(sender, instance, created)


def article_deleting(sender, instance, **kwargs):
    counts.article_changing(sender, instance)
    related.article_deleting(sender, instance)


def article_deleted(sender, instance, **kwargs):
    counts.article_deleted(sender, instance)
    related.article_deleted(sender, instance)


def link_saved(sender, instance, created, raw=False, **kwargs):
    _model, field = LINKS[sender]
    before = None if created else instance.__dict__.get("_counts_target")
    with transaction.atomic():
        lock_for(
            [instance.article_id],
            **{f"{field}s": {getattr(instance, field), before}},
        )
        if raw:
            counts.recount(**{f"{field}s": {getattr(instance, field), before} - {None}})
            instance._counts_target = getattr(instance, field)
        else:
            counts.link_saved(sender, instance, created)
        cards.refresh([instance.article_id])
        refresh_search([instance.article_id])
        if sender is ArticleTopic:
            related.topic_link_changed(sender, instance)
        records.touch([instance.article_id])


def link_deleted(sender, instance, origin=None, **kwargs):
    _model, field = LINKS[sender]
    with transaction.atomic():
        lock_for([instance.article_id], **{f"{field}s": {getattr(instance, field)}})
        counts.link_deleted(sender, instance)
        if not cards.deleted_with(origin):
            cards.refresh([instance.article_id])
            records.touch([instance.article_id])
        if sender is ArticleTopic:
            related.topic_link_changed(sender, instance)


def name_saved(sender, instance, created, raw=False, **kwargs):
    cards.name_saved(sender, instance, created, raw=raw)
    if raw:
        counts.subject_restored(sender, instance, raw=raw)
    if not created:
        records.touch(records.showing(sender, [instance.pk]))
        search_queue.after_rename()


def subject_saved(sender, instance, created, raw=False, **kwargs):
    """A section, issue, journal or reference: the records that show it are dated now."""
    if raw and sender is Section:
        counts.subject_restored(sender, instance, raw=raw)
    if sender is Issue:
        if raw:
            refresh_articles(Article.objects.filter(issue=instance).values_list("pk", flat=True))
        else:
            counts.issue_saved(sender, instance, created)
    if sender is Reference:
        records.touch([instance.article_id])
    elif not created:
        records.touch(records.showing(sender, [instance.pk]))


def issue_saving(sender, instance, raw=False, **kwargs):
    if instance.pk and not raw:
        remember_first_publication(Article.objects.filter(issue_id=instance.pk))
    counts.issue_changing(sender, instance, raw=raw)


def topic_deleted(sender, instance, **kwargs):
    records.touch(instance.__dict__.get("_cards_articles", []))
    cards.topic_deleted(sender, instance)


def reference_deleted(sender, instance, **kwargs):
    records.touch([instance.article_id])


def pick_changed(sender, instance, raw=False, **kwargs):
    related.pick_changed(sender, instance)


def install() -> None:
    """Connect the hub to every write that can change a derived copy (ArticlesConfig)."""
    connections = [
        (post_init, Article, related.article_loaded),
        (pre_save, Article, article_saving),
        (post_save, Article, article_saved),
        (pre_delete, Article, article_deleting),
        (post_delete, Article, article_deleted),
        (pre_save, Issue, issue_saving),
        (pre_delete, Topic, cards.topic_deleting),
        (post_delete, Topic, topic_deleted),
        (post_delete, Reference, reference_deleted),
        (post_save, RelatedItem, pick_changed),
        (post_delete, RelatedItem, pick_changed),
    ]
    for link in LINKS:
        connections += [
            (post_init, link, counts.link_loaded),
            (post_save, link, link_saved),
            (post_delete, link, link_deleted),
        ]
    for named in (Author, Topic):
        connections += [(pre_save, named, cards.name_saving), (post_save, named, name_saved)]
    for subject in (Section, Issue, Journal, Reference):
        connections.append((post_save, subject, subject_saved))
    for signal, sender, receiver in connections:
        signal.connect(
            receiver, sender=sender, dispatch_uid=f"derived-{sender.__name__}-{receiver.__name__}"
        )
    writes.listen(Bulk())


class Bulk:
    """What KeptQuerySet tells the hub of the writes that send no signal."""

    def before_update(self, queryset, values: dict) -> dict:
        model = queryset.model
        pks = list(queryset.order_by("pk").values_list("pk", flat=True))
        found = {"pks": pks}
        if model is Article:
            found["subjects"] = lock_for(pks)
            remember_first_publication(Article.objects.filter(pk__in=pks))
        elif model in LINKS:
            _subject, field = LINKS[model]
            pairs = list(model.objects.filter(pk__in=pks).values_list("article_id", field))
            found["articles"] = {a for a, _ in pairs}
            found["subjects"] = {f"{field}s": {s for _, s in pairs}}
            if f"{field}" in values or field.removesuffix("_id") in values:
                target = values.get(field, values.get(field.removesuffix("_id")))
                found["subjects"][f"{field}s"].add(getattr(target, "pk", target))
            lock_for(found["articles"], **found["subjects"])
        elif model in (Author, Topic, Section):
            lock(model, pks)
        elif model in (Reference, RelatedItem):
            found["articles"] = set(
                model.objects.filter(pk__in=pks).values_list("article_id", flat=True)
            )
        elif model is Issue:
            remember_first_publication(Article.objects.filter(issue_id__in=pks))
            articles = Article.objects.filter(issue_id__in=pks).values_list("pk", flat=True)
            found["articles"] = set(articles)
            found["subjects"] = lock_for(found["articles"])
        return found

    def after_update(self, model, found: dict, values: dict) -> None:
        pks = found["pks"]
        if not pks:
            return
        if model is Article:
            if "body" in values:
                _derive_bodies(pks)
            # A writer that dates the records itself (an import, the demo) is believed.
            dated = "record_modified_at" in values
            if set(values) & COUNTED_FIELDS:
                refresh_articles(pks, before=found["subjects"], touch=not dated)
            elif not dated:
                records.touch(pks)
        elif model in LINKS or model is Issue:
            topic_ids = found["subjects"].get("topic_ids", ())
            refresh_articles(found["articles"], before=found["subjects"], topic_ids=topic_ids)
        elif model in (Author, Topic):
            field = "author_id" if model is Author else "topic_id"
            articles = set()
            for pk in pks:
                articles |= set(cards.articles_of(**{field: pk}))
            cards.refresh(articles)
            records.touch(records.showing(model, pks))
            search_queue.after_rename()
        elif model is Reference:
            records.touch(found["articles"])
        elif model is RelatedItem:
            related.store(related.rank(found["articles"]), bump=False)
        elif model in (Section, Journal):
            records.touch(records.showing(model, pks))
        pagecache.invalidate(_raw_write_tags(model, found, values))

    def before_create(self, model, objs) -> None:
        if model is Article:
            for obj in objs:
                obj.__dict__.update(obj.derive_from_body())
        elif model in LINKS:
            _subject, field = LINKS[model]
            lock_for(
                {obj.article_id for obj in objs},
                **{f"{field}s": {getattr(obj, field) for obj in objs}},
            )

    def after_create(self, model, objs) -> None:
        if model is Article:
            ids = [obj.pk for obj in objs if obj.pk]
            if ids:
                refresh_articles(ids)
        elif model in LINKS:
            _subject, field = LINKS[model]
            topic_ids = {obj.topic_id for obj in objs} if model is ArticleTopic else ()
            refresh_articles(
                {obj.article_id for obj in objs},
                before={f"{field}s": {getattr(obj, field) for obj in objs}},
                topic_ids=topic_ids,
            )
        elif model is Reference:
            records.touch({obj.article_id for obj in objs})
        elif model is RelatedItem:
            related.store(related.rank({obj.article_id for obj in objs}), bump=False)
        else:
            return
        if model is not RelatedItem:  # related.store cooled the lists it changed
            pagecache.invalidate(
                set().union(*(pagecache.changed_tags(obj, created=True) for obj in objs))
            )


def _raw_write_tags(model, found: dict, values: dict) -> set[str]:
    """The page-cache tags a QuerySet.update() of these rows makes stale: the pages that
    show the rows, as a save of each would say (pagecache.changed_tags); every page where
    the update may move an article in or out of a listing, whose old state is gone."""
    pks = found["pks"]
    if model is Article and not set(values) & COUNTED_FIELDS:
        live = Article.objects.published().filter(pk__in=pks).values_list("pk", flat=True)
        return {f"article:{pk}" for pk in live}
    if model in (Author, Topic, Section):
        return set().union(*(pagecache.changed_tags(o) for o in model.objects.filter(pk__in=pks)))
    if model is Reference:
        live = Article.objects.published().filter(pk__in=found["articles"])
        return {f"article:{pk}" for pk in live.values_list("pk", flat=True)}
    if model is RelatedItem:
        return set()  # related.store cooled the lists it changed
    return {pagecache.EVERY_PAGE}


def _derive_bodies(pks) -> None:
    rows = Article.objects.filter(pk__in=pks).only("pk", "body")
    changed = []
    for article in rows:
        article.__dict__.update(article.derive_from_body())
        changed.append(article)
    Article.objects.bulk_update(changed, ["body_html"], batch_size=500)
