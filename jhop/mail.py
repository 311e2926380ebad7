"""Email site-wide: the domain messages name, and the development console backend."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail.backends import console
from django.core.mail.utils import DNS_NAME
from django.utils.encoding import punycode

SHOWN_HEADERS = ("Reply-To", "List-Unsubscribe", "List-Unsubscribe-Post")


def name_the_site_in_emails() -> None:
    """Every email Django builds (ours, the error reports) gets a Message-ID on the site's
    domain, and SMTP greets the server with it, instead of this machine's name
    (socket.getfqdn(): "localhost" in most containers, which spam filters hold against us).
    Django keeps that name in DNS_NAME, read once; it is set here from SITE_URL."""
    host = urlsplit(settings.SITE_URL).hostname
    if host:
        DNS_NAME._fqdn = punycode(host)


class ConsoleEmailBackend(console.EmailBackend):
    """Prints the headers that matter and the plain-text part as written.

    Django's console backend prints the raw MIME message: the text part may come out
    quoted-printable or base64 (soft line breaks, "=3D", encoded accents), and the links to
    click sit among a page of HTML. The HTML part is only mentioned here; tests and the
    admin's outbound email log still hold the whole message.
    """

    def write_message(self, message):
        headers = [
            ("From", message.from_email),
            ("To", ", ".join(message.to)),
            *([("Cc", ", ".join(message.cc))] if message.cc else []),
            ("Subject", message.subject),
            *(
                (name, message.extra_headers[name])
                for name in SHOWN_HEADERS
                if name in message.extra_headers
            ),
        ]
        parts = [f"{name}: {value}" for name, value in headers]
        parts += ["", message.body.rstrip("\n"), ""]
        for content, mimetype in getattr(message, "alternatives", []):
            parts.append(f"[{mimetype} alternative: {len(str(content))} characters, not shown]")
        for attachment in message.attachments:
            name = getattr(attachment, "filename", None) or attachment[0]
            parts.append(f"[attachment: {name}]")
        self.stream.write("\n".join(parts) + "\n" + "-" * 79 + "\n")
