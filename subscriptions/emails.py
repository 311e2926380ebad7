"""Subscription emails: rendered from templates, recorded, and delivered by a task after commit."""

import functools
import logging
from email.utils import parseaddr
from urllib.parse import urlsplit

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import get_resolver, reverse
from django.utils import timezone

from articles.models import Journal
from subscriptions import sending
from subscriptions.models import MailingList, OutboundEmail, Subscriber, Subscription
from subscriptions.tokens import Purpose, address_check, make_token, reader_tag

logger = logging.getLogger(__name__)

UNSENT_AFTER = sending.UNSENT_AFTER


def postal_address(journal: Journal | None = None) -> str:
    """The publisher's address every email must carry: the journal's, else the setting."""
    journal = journal or Journal.objects.primary()
    if journal and journal.postal_address:
        return journal.postal_address
    address = getattr(settings, "SUBSCRIPTIONS_POSTAL_ADDRESS", "")
    if not address:
        logger.warning("No postal address for emails: set Journal.postal_address")
    return address


def absolute_url(path: str) -> str:
    return settings.SITE_URL + path


def link(
    purpose: Purpose,
    subscriber: Subscriber,
    mailing_list: MailingList | None = None,
    *,
    edition_id: int | None = None,
    check: str | None = None,
) -> str:
    token = make_token(
        subscriber=subscriber,
        purpose=purpose,
        mailing_list=mailing_list,
        edition_id=edition_id,
        check=check,
    )
    before, after = _link_path(purpose, id(get_resolver()))
    return absolute_url(f"{before}{token}{after}")


@functools.lru_cache(maxsize=16)
def _link_path(purpose: Purpose, resolver: int) -> list[str]:
    # Reversed once per URL configuration, not once per link: a bulk send makes two links
    # per reader. (Tokens are URL-safe: nothing in them needs quoting.)
    return reverse(f"subscriptions:{purpose}", args=["TOKEN"]).split("TOKEN")


def list_unsubscribe_headers(
    *,
    subscriber: Subscriber,
    mailing_list: MailingList | None = None,
    url: str = "",
    edition_tag: str = "",
) -> dict[str, str]:
    """RFC 2369 / RFC 8058 headers: mail clients show an unsubscribe button that POSTs to the
    https link (the mailto is for clients that only write); List-Id names the list (RFC 2919)
    so readers and their mail services can filter and report it. An edition's email passes
    its link and tokens.edition_tag() (the mailto's subject then names the edition too)."""
    value = f"<{url or link(Purpose.UNSUBSCRIBE, subscriber, mailing_list)}>"
    mailto = unsubscribe_mailbox()
    if mailto:
        topic = f"%20{mailing_list.slug}" if mailing_list is not None else ""
        if topic and edition_tag:
            topic += f"%20{edition_tag}"
        value += f", <mailto:{mailto}?subject=unsubscribe{topic}>"
    headers = {"List-Unsubscribe": value, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    if mailing_list is not None:
        host = urlsplit(settings.SITE_URL).hostname or "localhost"
        name = mailing_list.name.replace('"', "'")
        headers["List-Id"] = f'"{name}" <{mailing_list.slug}.list-id.{host}>'
    return headers


def reply_to_headers(mailing_list: MailingList | None) -> dict[str, str]:
    """Where replies to a list's email go: the list's Reply-To, else the site's."""
    address = (mailing_list.reply_to if mailing_list else "") or settings.SUBSCRIPTIONS_REPLY_TO
    return {"Reply-To": address} if address else {}


def unsubscribe_mailbox() -> str:
    """Where "unsubscribe" emails go: the setting, else the sender's own address."""
    configured = settings.SUBSCRIPTIONS_UNSUBSCRIBE_MAILTO
    return configured or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def site_context() -> dict:
    """What every email shows of the publisher. A bulk send computes it once and passes it
    in, so that rendering one email per subscriber costs no query."""
    journal = Journal.objects.primary()
    return {
        "site_name": journal.name if journal else settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "postal_address": postal_address(journal),
    }


def render_subject(template: str, context: dict) -> str:
    return " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())


def _render(template: str, context: dict) -> tuple[str, str, str]:
    if "postal_address" not in context:
        context = {**site_context(), **context}
    subject = render_subject(template, context)
    text = render_to_string(f"emails/{template}.txt", context)
    html = INLINER.inline(render_to_string(f"emails/{template}.html", context))
    return subject, text, html


# Mail clients drop <style> blocks (Gmail's apps, Outlook): every rule goes into the
# elements' style attributes; media queries stay in <style> for the clients that read them.
INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def queue_email(
    *, kind: str, subscriber: Subscriber, context: dict, headers: dict | None = None
) -> OutboundEmail:
    """Record an email and hand it to the send task once the current transaction commits."""
    subject, text, html = _render(f"subscriptions/{kind}", {"subscriber": subscriber, **context})
    outbound = OutboundEmail.objects.create(
        subscriber=subscriber,
        kind=kind,
        to_email=subscriber.email,
        subject=subject,
        body_text=text,
        body_html=html,
        headers=headers or {},
        next_attempt_at=timezone.now() + UNSENT_AFTER,
    )
    # robust: a queue that is down must not turn the person's saved signup into an error
    # page; the email stays queued and retry_due() sends it.
    transaction.on_commit(lambda: _enqueue(outbound.pk), robust=True)
    return outbound


def _enqueue(outbound_email_id: int) -> None:
    sending.enqueue(outbound_email_id)


def confirmation_email(subscriber: Subscriber, lists: list[MailingList]) -> OutboundEmail:
    return queue_email(
        kind="confirm",
        subscriber=subscriber,
        context={"lists": lists, "confirm_url": link(Purpose.CONFIRM, subscriber)},
    )


def manage_email(subscriber: Subscriber) -> OutboundEmail:
    pending = subscriber.subscriptions.pending().exists()
    return queue_email(
        kind="manage",
        subscriber=subscriber,
        context={
            "manage_url": link(Purpose.MANAGE, subscriber),
            "confirm_url": link(Purpose.CONFIRM, subscriber) if pending else "",
        },
    )


def goodbye_email(subscriber: Subscriber, lists: list[MailingList]) -> OutboundEmail:
    return queue_email(
        kind="goodbye",
        subscriber=subscriber,
        context={"lists": lists, "manage_url": link(Purpose.MANAGE, subscriber)},
    )


def render_bulk(*, template: str, context: dict) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a bulk email (an alert, an edition) for one reader."""
    return _render(template, context)


UNSUBSCRIBE_SLOT, MANAGE_SLOT = sending.UNSUBSCRIBE_SLOT, sending.MANAGE_SLOT


def render_shared(
    *, template: str, context: dict, mailing_list: MailingList
) -> tuple[str, str, str]:
    """Render a bulk email once for a whole list (an edition: the same for every reader),
    with slots where each reader's own links go (filled in by fill_links when sent)."""
    return _render(
        template,
        {
            "mailing_list": mailing_list,
            "unsubscribe_url": UNSUBSCRIBE_SLOT,
            "manage_url": MANAGE_SLOT,
            **context,
        },
    )


def reader_links(
    subscriber: Subscriber, mailing_list: MailingList, *, edition_id: int | None = None
) -> dict[str, str]:
    """A reader's own links in a shared body; the unsubscribe link names the edition. For a
    list that records who clicked, the reader's tag for the counted links too."""
    check = address_check(subscriber)
    links = {
        "unsubscribe": link(
            Purpose.UNSUBSCRIBE, subscriber, mailing_list, edition_id=edition_id, check=check
        ),
        "manage": link(Purpose.MANAGE, subscriber, check=check),
    }
    if mailing_list.track_clicks_per_reader:
        links["reader"] = reader_tag(subscriber.pk)
    return links


def bulk_message(
    *, subscription: Subscription, template: str, context: dict
) -> EmailMultiAlternatives:
    """A message to one member of a list (e.g. a new-issue alert), with one-click unsubscribe."""
    subscriber, mailing_list = subscription.subscriber, subscription.mailing_list
    unsubscribe_url = link(Purpose.UNSUBSCRIBE, subscriber, mailing_list)
    subject, text, html = _render(
        template,
        {
            "subscriber": subscriber,
            "mailing_list": mailing_list,
            "imported": subscription.imported_at is not None,
            "unsubscribe_url": unsubscribe_url,
            "manage_url": link(Purpose.MANAGE, subscriber),
            **context,
        },
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[subscriber.email],
        headers={
            **list_unsubscribe_headers(subscriber=subscriber, mailing_list=mailing_list),
            **reply_to_headers(mailing_list),
        },
    )
    message.attach_alternative(html, "text/html")
    return message
