"""Editorial review: an editor submits an article, a managing editor approves it (and
publishes it) or sends it back with what to change.

On only when settings.EDITORIAL_REVIEW is true. Each transition is checked here, whoever
asks (the form's buttons are only a convenience), is written to the admin log, and emails
whoever must act next once the transaction commits. Publishing itself stays with
services.publish, with its rules and its gate.
"""

from functools import partial

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from articles.models import Article, Review, ReviewComment, ReviewState

APPROVE = "articles.approve_article"
SUBMIT = "articles.change_article"
COMMENT_LIMIT = 5000
TRANSITIONS = {
    "submitted": "Submitted for review",
    "approved": "Approved",
    "changes_requested": "Changes requested",
}


def is_on() -> bool:
    return settings.EDITORIAL_REVIEW


def may_publish(user: AbstractBaseUser | None) -> bool:
    """Whether user may publish articles: anyone with the change permission when review
    is off; only those who may approve when it is on (None: the system's own jobs)."""
    return user is None or not is_on() or user.has_perm(APPROVE)


def review_of(article: Article) -> Review:
    """The article's review row, as stored (a draft's, never saved, if it has none)."""
    try:
        return article.review
    except Review.DoesNotExist:
        return Review(article=article)


def _locked(article: Article) -> Review:
    # The article's row is the lock: two first submissions cannot both create a review.
    list(Article.objects.select_for_update().filter(pk=article.pk).values_list("pk"))
    review, _ = Review.objects.select_for_update().get_or_create(article=article)
    return review


def _check(user: AbstractBaseUser, permission: str, comment: str) -> str:
    if not is_on():
        raise ValidationError("The review step is off on this site.", code="review_off")
    if not user.has_perm(permission):
        raise PermissionDenied
    comment = comment.strip()
    if len(comment) > COMMENT_LIMIT:
        raise ValidationError(
            f"A comment is at most {COMMENT_LIMIT} characters.", code="comment_too_long"
        )
    return comment


def _record(*, article, review, user, transition: str, comment: str, state) -> None:
    review.state = state
    review.full_clean()
    review.save()
    if comment:
        ReviewComment.objects.create(
            article=article, author=user, body=comment, transition=transition
        )
    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[article],
        action_flag=CHANGE,
        change_message=transition + (f": {comment}" if comment else ""),
        single_object=True,
    )


def submit(*, article: Article, user: AbstractBaseUser, comment: str = "") -> Review:
    """A draft (new, or sent back) goes to the managing editors for review."""
    comment = _check(user, SUBMIT, comment)
    with transaction.atomic():
        review = _locked(article)
        article.refresh_from_db(fields=["status"])
        if article.status != Article.Status.DRAFT:
            raise ValidationError(
                "Only a draft can be submitted: this article is already published.",
                code="not_draft",
            )
        if review.state not in (ReviewState.DRAFT, ReviewState.CHANGES_REQUESTED):
            raise ValidationError(
                f"It is already {review.get_state_display().lower()}.", code="bad_transition"
            )
        review.submitted_by, review.submitted_at = user, timezone.now()
        review.decided_by = review.decided_at = None
        _record(
            article=article,
            review=review,
            user=user,
            transition=TRANSITIONS["submitted"],
            comment=comment,
            state=ReviewState.IN_REVIEW,
        )
        transaction.on_commit(partial(send_review_email_task.enqueue, review.pk, "submitted"))
    return review


def _decide(*, article, user, comment, state, transition, event) -> Review:
    comment = _check(user, APPROVE, comment)
    with transaction.atomic():
        review = _locked(article)
        if review.state != ReviewState.IN_REVIEW:
            raise ValidationError(
                f"Only an article in review can be {transition.lower()}: this one is "
                f"{review.get_state_display().lower()}.",
                code="bad_transition",
            )
        if review.submitted_by_id == user.pk:
            raise ValidationError(
                "Another managing editor reviews what you submitted.", code="own_submission"
            )
        review.decided_by, review.decided_at = user, timezone.now()
        _record(
            article=article,
            review=review,
            user=user,
            transition=transition,
            comment=comment,
            state=state,
        )
        transaction.on_commit(partial(send_review_email_task.enqueue, review.pk, event))
    return review


def approve(*, article: Article, user: AbstractBaseUser, comment: str = "") -> Review:
    """A managing editor approves an article in review: it may now be published or
    scheduled (by a managing editor)."""
    return _decide(
        article=article,
        user=user,
        comment=comment,
        state=ReviewState.APPROVED,
        transition=TRANSITIONS["approved"],
        event="approved",
    )


def request_changes(*, article: Article, user: AbstractBaseUser, comment: str) -> Review:
    """A managing editor sends an article in review back to draft, saying what to change."""
    if not comment.strip():
        raise ValidationError(
            "Say what to change in the comment before sending the article back.",
            code="comment_required",
        )
    return _decide(
        article=article,
        user=user,
        comment=comment,
        state=ReviewState.CHANGES_REQUESTED,
        transition=TRANSITIONS["changes_requested"],
        event="changes_requested",
    )


def add_comment(*, article: Article, user: AbstractBaseUser, comment: str) -> ReviewComment:
    """A comment on the article's review thread, from an editor or a managing editor."""
    comment = _check(user, SUBMIT, comment)
    if not comment:
        raise ValidationError("The comment is empty.", code="comment_required")
    return ReviewComment.objects.create(article=article, author=user, body=comment)


def waiting_for(user: AbstractBaseUser):
    """Reviews a managing editor may decide: in review, submitted by someone else."""
    if not (is_on() and user.has_perm(APPROVE)):
        return Review.objects.none()
    return (
        Review.objects.filter(state=ReviewState.IN_REVIEW)
        .exclude(submitted_by=user)
        .select_related("article", "submitted_by")
        .order_by("submitted_at", "pk")
    )


def sent_back_to(user: AbstractBaseUser):
    """The user's submissions that a managing editor sent back."""
    if not is_on():
        return Review.objects.none()
    return (
        Review.objects.filter(state=ReviewState.CHANGES_REQUESTED, submitted_by=user)
        .select_related("article", "decided_by")
        .order_by("-decided_at", "-pk")
    )


@task()
def send_review_email_task(review_id: int, event: str) -> None:
    send_review_email(review_id=review_id, event=event)


def send_review_email(*, review_id: int, event: str) -> int:
    """Email who acts next: the managing editors on a submission, the submitting editor on
    a decision. Returns how many addresses it was sent to."""
    review = Review.objects.select_related("article", "submitted_by", "decided_by").get(
        pk=review_id
    )
    if event == "submitted":
        actor = review.submitted_by
        users = get_user_model().objects.with_perm(
            APPROVE, backend="django.contrib.auth.backends.ModelBackend"
        )
        if actor is not None:
            users = users.exclude(pk=actor.pk)
        recipients = sorted({u.email for u in users if u.email})
    else:
        actor = review.decided_by
        submitter = review.submitted_by
        recipients = [submitter.email] if submitter and submitter.email else []
    if not recipients:
        return 0
    comment = (
        ReviewComment.objects.filter(
            article=review.article, author=actor, transition=TRANSITIONS[event]
        )
        .order_by("-created_at", "-pk")
        .values_list("body", flat=True)
        .first()
        if actor
        else None
    )
    context = {
        "event": event,
        "article": review.article,
        "actor": actor,
        "comment": comment or "",
        "url": settings.SITE_URL
        + reverse("admin:articles_article_change", args=[review.article.pk]),
    }
    subject = " ".join(render_to_string("emails/articles/review_subject.txt", context).split())
    body = render_to_string("emails/articles/review.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return len(recipients)
