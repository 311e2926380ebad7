from django_tasks import task

from subscriptions.emails import deliver


@task()
def send_outbound_email(outbound_email_id: int) -> str:
    """Send one recorded email; failures are recorded on it and retried with backoff."""
    return deliver(outbound_email_id)
