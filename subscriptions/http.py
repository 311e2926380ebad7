"""The client's IP address, for the signup rate limits and the consent log, behind known
proxies (settings.RATELIMIT_IP_META_KEY names it)."""

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or the address the last trusted proxy saw when behind a load balancer.

    With TRUSTED_PROXY_COUNT=N, the N right-most X-Forwarded-For entries were added by our
    own proxies; the one before them is the client. Entries further left are client-supplied
    and never trusted, so a forged header cannot dodge a rate limit.
    """
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")
