from django_tasks import task

from subscriptions import services
from subscriptions.emails import deliver


@task()
def send_outbound_email(outbound_email_id: int) -> str:
    """Send one recorded email; failures are recorded on it and retried with backoff."""
    return deliver(outbound_email_id)


@task()
def build_issue_alert_emails(issue_alert_id: int) -> int:
    """Record and queue one email per recipient of a new-issue alert; safe to run twice."""
    return services.build_issue_alert_emails(issue_alert_id=issue_alert_id)
