"""Editorial writes: publishing, merging duplicate authors, sharing drafts.

Each runs in a transaction and records a django-reversion revision, so the admin's
history shows who did it and the change can be undone.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import reversion
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.redirects.models import Redirect
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from articles import review
from articles.models import Article, ArticleSlugHistory, Author, Authorship, Issue, PreviewLink
from articles.models.preview import PREVIEW_LIFETIME
from articles.models.publishing import PublishState, Visibility
from articles.scholarly import gate
from articles.scholarly.doi import assign_doi


@dataclass
class StateChange:
    changed: int = 0
    # Of the changed ones, how many readers can see now (the rest are scheduled or waiting).
    live: int = 0
    refused: list[str] = field(default_factory=list)
    # Published but not yet seen by readers: "“Title” goes live on …", or waiting for its issue.
    not_yet_public: list[str] = field(default_factory=list)
    # The articles or issues whose state changed, for the admin log.
    changed_objects: list = field(default_factory=list)


def _not_yet_public(obj: Article | Issue) -> str:
    """Why readers cannot see a published obj yet ("" if they can)."""
    match obj.visibility:
        case Visibility.SCHEDULED:
            at = date_format(timezone.localtime(obj.published_at), "M j, Y H:i")
            return f"“{obj}” is scheduled for {at}: it goes live then by itself."
        case Visibility.WAITING:
            return (
                f"“{obj}” is published, but readers will see it only once its issue "
                f"“{obj.issue}” is."
            )
    return ""


def _problem(obj: Article | Issue) -> str:
    """Why obj may not go live ("" if it may): invalid fields or uncited references."""
    try:
        obj.full_clean()
        if isinstance(obj, Article):
            obj.check_citations()
    except ValidationError as error:
        return f"{obj}: " + " ".join(error.messages)
    return ""


def _first_publication(article: Article) -> list[str]:
    """Give an article published for the first time its DOI; returns the fields changed."""
    fields = []
    if article.first_published_at is None:
        article.first_published_at = article.published_at
        fields.append("first_published_at")
    if assign_doi(article):
        fields.append("doi")
    return fields


def _forget_future_first_publication(article: Article) -> None:
    """A scheduled article held back before its time was never published (one that was
    live before keeps its first publication: its DOI stays fixed)."""
    if article.first_published_at and article.first_published_at > timezone.now():
        article.first_published_at = None


def _export_gate(obj: Article | Issue) -> str:
    """Why obj's Crossref or JATS record would be invalid ("" if both validate).

    Each article's outcome is stored for the changelist's export column.
    """
    if isinstance(obj, Article):
        check = gate.check_article(obj)
        gate.record(obj, check)
        return "" if check.ok else f"{obj}: " + " ".join(check.errors)
    failures = gate.check_issue(obj)
    for article, check in failures.items():
        gate.record(article, check)
    if not failures:
        return ""
    return f"{obj}: " + " ".join(
        f"“{article}”: " + " ".join(check.errors) for article, check in failures.items()
    )


def check_after_edit(*, article: Article, user: AbstractBaseUser | None) -> str:
    """After an editor saves a published or scheduled article: its DOI, then the gate.

    Returns what the editor must know ("" if nothing): a scheduled article whose records
    no longer validate goes back to draft; a live one stays live, and the problems show.
    """
    if article.status != Article.Status.PUBLISHED or not article.published_at:
        return ""
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        fields = _first_publication(article)
        if fields:
            Article.objects.filter(pk=article.pk).update(
                **{name: getattr(article, name) for name in fields}
            )
        check = gate.check_article(article)
        gate.record(article, check)
        if check.ok:
            return ""
        problems = " ".join(check.errors)
        if article.visibility == Visibility.LIVE:
            return f"“{article}” is live, but its Crossref or JATS record is invalid: {problems}"
        with reversion.create_revision():
            reversion.set_user(user)
            reversion.set_comment("Held back: its Crossref or JATS record does not validate")
            article.status = Article.Status.DRAFT
            _forget_future_first_publication(article)
            article.save(update_fields=["status", "first_published_at", "updated_at"])
        return f"“{article}” was put back to draft: {problems}"


def hold_invalid_scheduled(*, user: AbstractBaseUser | None = None) -> list[str]:
    """Take scheduled articles whose records no longer validate back to draft.

    Run every 5 minutes (manage.py check_scheduled, from jhop/periodic.py): an article
    edited after it was scheduled must not go live with invalid metadata. Returns what was
    held, in words.
    """
    held = []
    with transaction.atomic(), reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment("Held back: its Crossref or JATS record does not validate")
        for article in Article.objects.scheduled().select_for_update():
            check = gate.check_article(article)
            gate.record(article, check)
            if not check.ok:
                article.status = Article.Status.DRAFT
                _forget_future_first_publication(article)
                article.save(update_fields=["status", "first_published_at", "updated_at"])
                held.append(f"{article}: " + " ".join(check.errors))
    return held


def _set_state(objects: QuerySet, *, status: str, user, comment: str) -> StateChange:
    now = timezone.now()
    result = StateChange()
    with transaction.atomic(), reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(comment)
        model = objects.model
        pks = list(objects.values_list("pk", flat=True))
        for obj in model._default_manager.filter(pk__in=pks).select_for_update():
            publishing = status == obj.Status.PUBLISHED
            if obj.status != status or (publishing and not obj.published_at):
                obj.status = status
                fields = ["status", "published_at", "updated_at"]
                first = getattr(obj, "first_published_at", None)
                if not publishing and first and first > now:
                    # Unscheduled before it went live: it was never published.
                    obj.first_published_at = None
                    fields.append("first_published_at")
                if publishing:
                    obj.published_at = obj.published_at or now
                    if problem := _problem(obj):
                        result.refused.append(problem)
                        continue
                    if isinstance(obj, Article):
                        fields += _first_publication(obj)
                    if refusal := _export_gate(obj):
                        result.refused.append(refusal)
                        continue
                obj.save(update_fields=fields)
                result.changed += 1
                result.changed_objects.append(obj)
                result.live += obj.visibility == Visibility.LIVE
            if publishing and (why := _not_yet_public(obj)):
                result.not_yet_public.append(why)
    return result


def publish(
    *, objects: QuerySet[Article] | QuerySet[Issue], user: AbstractBaseUser | None
) -> StateChange:
    """Publish the valid articles or issues: now, or at their published_at if that is set
    (scheduled).

    One with an invalid field (or, for an article, a citation without a reference) stays
    a draft and is listed in the result's refused; one that is scheduled, or an article
    whose issue is not public yet, is listed in not_yet_public so the editor is not
    surprised.

    With the review step on, only a managing editor publishes articles: for anyone else
    every article is refused.
    """
    if objects.model is Article and not review.may_publish(user):
        why = "publishing needs a managing editor (the review step is on)."
        return StateChange(refused=[f"{article}: {why}" for article in objects])
    return _set_state(objects, status=PublishState.PUBLISHED, user=user, comment="Published")


def unpublish(
    *, objects: QuerySet[Article] | QuerySet[Issue], user: AbstractBaseUser | None
) -> StateChange:
    """Take the articles or issues (and so their articles) off the site, keeping dates."""
    return _set_state(objects, status=PublishState.DRAFT, user=user, comment="Unpublished")


def save_article(*, article: Article) -> Article:
    """Save an editor's changes; a renamed article keeps answering at its old URL (301)."""
    old_slug = (
        Article.objects.filter(pk=article.pk).values_list("slug", flat=True).first()
        if article.pk
        else None
    )
    with transaction.atomic():
        article.save()
        if old_slug and old_slug != article.slug:
            # The new slug is no longer a redirect (it may be an older name come back).
            ArticleSlugHistory.objects.filter(slug=article.slug).delete()
            ArticleSlugHistory.objects.update_or_create(
                slug=old_slug, defaults={"article": article}
            )
    return article


def merge_authors(*, keep: Author, duplicates: list[Author], user: AbstractBaseUser | None) -> int:
    """Credit the duplicates' articles to keep, fill keep's blank fields, delete duplicates.

    An article crediting both keeps one authorship, at the earlier position; each
    duplicate's page redirects to keep's. Returns how many authors were merged away.
    """
    duplicates = [d for d in duplicates if d.pk != keep.pk]
    with transaction.atomic(), reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(
            "Merged " + ", ".join(d.display_name for d in duplicates) + f" into {keep}"
        )
        for duplicate in duplicates:
            for authorship in Authorship.objects.filter(author=duplicate).select_for_update():
                existing = Authorship.objects.filter(
                    article=authorship.article_id, author=keep
                ).first()
                if existing:
                    existing.position = min(existing.position, authorship.position)
                    existing.save(update_fields=["position"])
                    authorship.delete()
                else:
                    authorship.author = keep
                    authorship.save(update_fields=["author"])
            for field in ("credentials", "affiliation", "orcid", "bio", "photo", "photo_alt"):
                if not getattr(keep, field) and getattr(duplicate, field):
                    setattr(keep, field, getattr(duplicate, field))
        keep.full_clean()
        keep.save()
        for duplicate in duplicates:
            # The duplicate's page may be linked from elsewhere: send readers on.
            Redirect.objects.update_or_create(
                site_id=settings.SITE_ID,
                old_path=duplicate.get_absolute_url(),
                defaults={"new_path": keep.get_absolute_url()},
            )
            duplicate.delete()
    return len(duplicates)


def create_preview_link(
    *,
    article: Article | None = None,
    issue: Issue | None = None,
    user: AbstractBaseUser | None,
    lifetime: timedelta = PREVIEW_LIFETIME,
    note: str = "",
) -> PreviewLink:
    """A link that shows the article or issue, published or not, to anyone holding it
    until it expires."""
    link = PreviewLink(
        article=article, issue=issue, note=note, expires_at=timezone.now() + lifetime
    )
    return save_preview_link(link=link, user=user)


def save_preview_link(*, link: PreviewLink, user: AbstractBaseUser | None) -> PreviewLink:
    """Save a new or edited preview link; a new one is credited to user."""
    if link.pk is None:
        link.created_by = user
    link.full_clean()
    link.save()
    return link


def revoke_preview_links(*, links: QuerySet[PreviewLink]) -> int:
    """Make the links stop working at once."""
    return links.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
