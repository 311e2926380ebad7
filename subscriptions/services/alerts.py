"""New-issue alerts: announce a published issue to an email list, once."""

from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from articles.models import Article, Issue
from subscriptions import emails
from subscriptions.models import EmailWording, IssueAlert, MailingList
from subscriptions.services import bulk

ALREADY_ANNOUNCED = "{issue} has already been announced to {mailing_list}."


def send_issue_alert(
    *, issue: Issue, mailing_list: MailingList, user=None, segment: dict | None = None
) -> IssueAlert:
    """Announce a published issue to an email list (or the `segment` of it: the
    Segmented fields); the emails are built by a task after commit.

    Refused for an issue readers cannot open yet, for a print list, and for a second alert
    of the same issue to the same list (the database settles two editors clicking at once).
    """
    if not Issue.objects.published().filter(pk=issue.pk).exists():
        raise ValidationError(
            f"{issue} is not published yet (draft or scheduled): "
            "readers could not open it, so it cannot be announced."
        )
    if mailing_list.kind != MailingList.Kind.EMAIL:
        raise ValidationError(f"{mailing_list} is not an email list: alerts go by email.")
    alert = IssueAlert(
        issue=issue,
        mailing_list=mailing_list,
        created_by=user if user is not None and user.is_authenticated else None,
        **(segment or {}),
    )
    already = ALREADY_ANNOUNCED.format(issue=issue, mailing_list=mailing_list)
    try:
        alert.full_clean()
    except ValidationError as exc:
        if IssueAlert.objects.filter(issue=issue, mailing_list=mailing_list).exists():
            raise ValidationError(already) from exc
        raise
    try:
        with transaction.atomic():
            alert.save()
            transaction.on_commit(partial(_enqueue_alert, alert.pk), robust=True)
    except IntegrityError as exc:
        raise ValidationError(already) from exc
    return alert


def resume_issue_alerts(*, alerts) -> int:
    """Hand unfinished alerts to the task again, e.g. when the queue was down as one was sent.

    Nobody is mailed twice: the task skips whoever already has the alert's email.
    """
    unfinished = list(alerts.exclude(status=IssueAlert.Status.SENT).values_list("pk", flat=True))
    for pk in unfinished:
        transaction.on_commit(partial(_enqueue_alert, pk), robust=True)
    return len(unfinished)


def _enqueue_alert(issue_alert_id: int) -> None:
    build_issue_alert_emails_task.enqueue(issue_alert_id)


@task()
def build_issue_alert_emails_task(issue_alert_id: int) -> int:
    """Record and queue one email per recipient of a new-issue alert; safe to run twice."""
    return build_issue_alert_emails(issue_alert_id=issue_alert_id)


def build_issue_alert_emails(*, issue_alert_id: int) -> int:
    """Record one email per recipient of an alert and hand each to the send task on commit.

    Runs as a task. Safe to run again (a lost or retried task): whoever already has this
    alert's email is skipped, and the database refuses a second one. Returns how many
    emails this run recorded.
    """
    alert = IssueAlert.objects.select_related("issue__journal", "mailing_list").get(
        pk=issue_alert_id
    )
    if alert.status == IssueAlert.Status.SENT:
        return 0
    IssueAlert.objects.filter(pk=alert.pk).update(status=IssueAlert.Status.SENDING)
    issue = alert.issue
    context = {
        **emails.site_context(),
        "issue": issue,
        "wording": EmailWording.for_kind(EmailWording.Kind.ALERT),
        "issue_url": emails.absolute_url(issue.get_absolute_url()),
        "cover_url": _cover_url(issue),
        # Read once for the whole list; the same published() rule as the issue page.
        "contents": list(
            Article.objects.published().for_listing().filter(issue=issue).in_contents_order()
        ),
    }
    created = bulk.record_emails(
        alert, kind="issue-alert", template="subscriptions/issue_alert", context=context
    )
    IssueAlert.objects.filter(pk=alert.pk).update(
        status=IssueAlert.Status.SENT,
        sent_at=timezone.now(),
        recipients=alert.emails.count(),
    )
    return created


def _cover_url(issue: Issue) -> str:
    if not issue.cover_image:
        return ""
    url = issue.cover_image.url
    return emails.absolute_url(url) if url.startswith("/") else url
