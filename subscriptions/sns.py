"""Amazon SNS message signatures: how we know an Amazon SES report really comes from AWS.

SNS signs every message it posts (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA) over a
canonical string of some of the message's fields, with the key of a certificate it
publishes at SigningCertURL. django-anymail checks the basic-auth secret and the SNS
headers but not the signature; this does. Only an https certificate URL on an
`sns.<region>.amazonaws.com` host is trusted; each certificate is fetched once and kept in
the shared cache.
"""

import base64
import hashlib
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.core.cache import cache


class InvalidSNSMessage(Exception):
    """Unsigned, wrongly signed, tampered with, or signed with a certificate we do not trust."""


_CONFIRMATION = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": _CONFIRMATION,
    "UnsubscribeConfirmation": _CONFIRMATION,
}
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
CERTIFICATE_HOST = re.compile(r"sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?")
CERTIFICATE_CACHE_SECONDS = 24 * 3600
FETCH_TIMEOUT = 5


def canonical(message: dict) -> bytes:
    """The string SNS signs: "Name\\nvalue\\n" for each signed field present, in order."""
    fields = SIGNED_FIELDS.get(message.get("Type"))
    if fields is None:
        raise InvalidSNSMessage(f"unknown message type {message.get('Type')!r}")
    parts = []
    for name in fields:
        if name == "Subject" and "Subject" not in message:
            continue  # the only optional signed field
        value = message.get(name)
        if not isinstance(value, str):
            raise InvalidSNSMessage(f"{name} is missing")
        parts.append(f"{name}\n{value}\n")
    return "".join(parts).encode()


def trusted_certificate_url(url: object) -> bool:
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError when not a port number (99999, "x")
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and parts.username is None
        and port in (None, 443)
        and CERTIFICATE_HOST.fullmatch(parts.hostname or "") is not None
        and parts.path.endswith(".pem")
    )


def fetch_certificate(url: str) -> bytes:
    """The PEM at url (TLS-verified); tests patch this (no network)."""
    response = requests.get(url, timeout=FETCH_TIMEOUT)
    response.raise_for_status()
    return response.content


def certificate(url: str) -> x509.Certificate:
    """The signing certificate at url: fetched once, then read from the shared cache."""
    key = "sns-certificate:" + hashlib.sha256(url.encode()).hexdigest()
    pem = cache.get(key)
    if pem is None:
        try:
            pem = fetch_certificate(url)
            x509.load_pem_x509_certificate(pem)
        except (requests.RequestException, ValueError) as exc:
            raise InvalidSNSMessage(f"cannot load the signing certificate: {exc}") from exc
        cache.set(key, pem, CERTIFICATE_CACHE_SECONDS)
    return x509.load_pem_x509_certificate(pem)


def verify(message: dict, *, topics: list[str] | tuple[str, ...] = ()) -> None:
    """Raise InvalidSNSMessage unless SNS signed this message with a trusted certificate
    (and, when `topics` are given, it comes from one of them)."""
    if not isinstance(message, dict):
        raise InvalidSNSMessage("not an SNS message")
    if topics and message.get("TopicArn") not in topics:
        # Anyone can sign with SNS's key: their own topic's messages are signed too.
        raise InvalidSNSMessage(f"unexpected TopicArn {message.get('TopicArn')!r}")
    algorithm = HASHES.get(str(message.get("SignatureVersion")))
    if algorithm is None:
        raise InvalidSNSMessage(f"unknown SignatureVersion {message.get('SignatureVersion')!r}")
    url = message.get("SigningCertURL")
    if not trusted_certificate_url(url):
        raise InvalidSNSMessage(f"untrusted SigningCertURL {url!r}")
    signature = message.get("Signature")
    if not isinstance(signature, str):
        raise InvalidSNSMessage("Signature is missing")
    try:
        signature = base64.b64decode(signature, validate=True)
    except ValueError as exc:
        raise InvalidSNSMessage("Signature is not base64") from exc
    signed = canonical(message)
    cert = certificate(url)
    now = datetime.now(UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise InvalidSNSMessage("the signing certificate is not valid now")
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidSNSMessage("the signing certificate's key is not RSA")
    try:
        key.verify(signature, signed, padding.PKCS1v15(), algorithm())
    except InvalidSignature as exc:
        raise InvalidSNSMessage("wrong signature") from exc
