"""Signed, expiring, single-purpose links for emailed actions.

A token binds the subscriber's id, a keyed hash of their current address and the purpose (and,
for unsubscribe, the list, and the newsletter edition whose email carried the link). Each
purpose signs with its own salt, so a confirm token cannot unsubscribe; changing or erasing
the address voids every token issued for it. The edition is signed like the rest: a link
cannot be rewritten to count its unsubscribe against another edition.
"""

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from subscriptions.models import Edition, MailingList, Subscriber


class Purpose(StrEnum):
    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"


MAX_AGE: dict[Purpose, timedelta | None] = {
    Purpose.CONFIRM: timedelta(days=7),
    Purpose.MANAGE: timedelta(days=30),
    # Unsubscribe links sit in old emails: an unsubscribe is honoured however old the link
    # (RFC 8058 one-click must never fail). The token still dies with a changed address.
    Purpose.UNSUBSCRIBE: None,
}


class InvalidToken(Exception):
    """Forged, tampered, expired, for another purpose, or for an address that changed."""


@dataclass(frozen=True)
class TokenData:
    subscriber: Subscriber
    mailing_list: MailingList | None
    # The edition whose email carried the link (None for links from other emails, and for
    # links sent before editions were recorded in them, which keep working).
    edition_id: int | None = None


def _salt(purpose: Purpose) -> str:
    return f"subscriptions.token.{purpose}"


def address_check(subscriber: Subscriber, *, secret: str | None = None) -> str:
    """Ties a token to the current address without showing a guessable hash of it in the URL
    (the payload of a signed token is readable by anyone who sees the link)."""
    return salted_hmac(
        "subscriptions.token.address", subscriber.email.lower(), secret=secret
    ).hexdigest()[:20]


def _address_matches(subscriber: Subscriber, check: str) -> bool:
    # Links signed before a SECRET_KEY rotation stay valid, as signing.loads() allows.
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(
        constant_time_compare(address_check(subscriber, secret=key), check) for key in secrets
    )


def make_token(
    *,
    subscriber: Subscriber,
    purpose: Purpose,
    mailing_list: MailingList | None = None,
    edition_id: int | None = None,
    check: str | None = None,
) -> str:
    """`check` is address_check(subscriber), when the caller already has it (a bulk send
    makes two links per reader and computes it once)."""
    payload = {"s": subscriber.pk, "h": check or address_check(subscriber), "p": str(purpose)}
    if mailing_list is not None:
        payload["l"] = mailing_list.pk
    if edition_id is not None:
        payload["e"] = edition_id
    return signing.dumps(payload, salt=_salt(purpose), compress=True)


def read_token(token: str, *, purpose: Purpose) -> TokenData:
    overrides = getattr(settings, "SUBSCRIPTIONS_TOKEN_MAX_AGE", {})
    max_age = overrides.get(str(purpose), MAX_AGE[purpose])
    try:
        payload = signing.loads(token, salt=_salt(purpose), max_age=max_age)
    except signing.BadSignature as exc:
        raise InvalidToken(str(exc)) from exc
    if not isinstance(payload, dict) or payload.get("p") != purpose:
        raise InvalidToken("wrong purpose")
    subscriber = Subscriber.objects.not_erased().filter(pk=payload.get("s")).first()
    if subscriber is None or not _address_matches(subscriber, str(payload.get("h", ""))):
        raise InvalidToken("unknown subscriber or changed address")
    mailing_list = None
    if "l" in payload:
        mailing_list = MailingList.objects.filter(pk=payload["l"]).first()
        if mailing_list is None:
            raise InvalidToken("unknown list")
    edition_id = payload.get("e")
    if edition_id is not None and not Edition.objects.filter(pk=edition_id).exists():
        edition_id = None  # a deleted edition: the link still unsubscribes
    return TokenData(subscriber=subscriber, mailing_list=mailing_list, edition_id=edition_id)


READER_TAG_SALT = "subscriptions.click-reader"


def reader_tag(subscriber_id: int) -> str:
    """The reader, signed, for the counted links of a list that records who clicked."""
    return signing.Signer(salt=READER_TAG_SALT).sign(str(subscriber_id))


def read_reader_tag(tag: str) -> int | None:
    """The subscriber id in a tag made by reader_tag(), or None if it is not one."""
    try:
        value = signing.Signer(salt=READER_TAG_SALT).unsign(tag)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


EDITION_TAG_SALT = "subscriptions.edition-tag"


def edition_tag(edition_id: int) -> str:
    """The edition, signed, for the subject of the List-Unsubscribe mailto ("e42:…"):
    an unsubscribe email then counts for the edition it came from, and for no other."""
    return signing.Signer(salt=EDITION_TAG_SALT).sign(f"e{edition_id}")


def read_edition_tag(tag: str) -> int | None:
    """The edition id in a tag made by edition_tag(), or None if it is not one."""
    try:
        value = signing.Signer(salt=EDITION_TAG_SALT).unsign(tag)
    except signing.BadSignature:
        return None
    if not (value.startswith("e") and value[1:].isdigit()):
        return None
    return int(value[1:]) if Edition.objects.filter(pk=int(value[1:])).exists() else None
