"""Recording who did what: request metadata and the consent log."""

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from subscriptions.http import client_ip
from subscriptions.models import (
    PROFILE_FIELDS,
    ConsentEvent,
    ConsentText,
    MailingList,
    Subscriber,
)


@dataclass(frozen=True)
class RequestMeta:
    """Where a change came from, as the consent log records it."""

    source_url: str = ""
    ip_address: str = ""
    user_agent: str = ""
    actor: str = ""

    @classmethod
    def from_request(cls, request, *, source_url: str = "") -> "RequestMeta":
        user = getattr(request, "user", None)
        path = request.path
        token = getattr(request.resolver_match, "kwargs", {}).get("token")
        if token:
            # The log says which kind of link was used; it must not keep a working link.
            path = path.replace(token, "-")
        return cls(
            source_url=(source_url or request.build_absolute_uri(path))[:500],
            ip_address=reduce_ip(client_ip(request)),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            actor=user.get_username() if user and user.is_authenticated else "",
        )


def reduce_ip(address: str) -> str:
    """Keep only the network: the last octet of IPv4, all but the /48 of IPv6."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def log_event(
    subscriber: Subscriber,
    *,
    kind: str,
    source: str,
    meta: RequestMeta,
    lists: Iterable[MailingList] = (),
    consent_text: ConsentText | None = None,
    details: dict | None = None,
    edition_id: int | None = None,
) -> ConsentEvent:
    return ConsentEvent.objects.create(
        edition_id=edition_id,
        subscriber=subscriber,
        kind=kind,
        source=source,
        source_url=meta.source_url,
        lists=[m.name for m in lists],
        consent_text=consent_text,
        details=details or {},
        ip_address=meta.ip_address,
        user_agent=meta.user_agent,
        actor=meta.actor,
    )


def snapshot(subscriber: Subscriber) -> dict:
    """What a postal auditor needs from the request: name, address, email."""
    data = {name: str(getattr(subscriber, name)) for name in PROFILE_FIELDS}
    return {"email": subscriber.email, **data}
