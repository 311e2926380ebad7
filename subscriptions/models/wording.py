"""The words of the edition and alert emails that managers may edit: subject, preheader,
introduction and footer, with a few named placeholders.

The placeholders are the whole language: `{{ list }}` is replaced by its value, and nothing
else is evaluated (no tags, filters, attributes or lookups), so an edited text cannot reach
any data but the values offered here. A text with anything else between braces is refused
with a message naming the placeholders it may use.
"""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]+)\s*\}\}")
# What may not appear once the placeholders are taken out: Django's tag, comment and
# variable delimiters, stray braces of a broken placeholder.
BROKEN = re.compile(r"\{[{%#]|[}%#]\}")


class EmailWording(models.Model):
    """One email's editable words; without a row, the defaults below are used."""

    class Kind(models.TextChoices):
        EDITION = "edition", "Newsletter edition"
        ALERT = "issue_alert", "New-issue alert"

    # What each kind's texts may name, and what each name means (shown in the admin).
    PLACEHOLDERS = {
        Kind.EDITION: {
            "subject": "the edition's subject",
            "list": "the list's name",
            "site": "the journal's name",
            "reason": "why the reader gets it (honest for imported readers)",
        },
        Kind.ALERT: {
            "issue": "the issue's label, e.g. “JHOP - June 2022 Vol 12, No 3”",
            "issue_title": "the issue's title, if it has one",
            "list": "the list's name",
            "site": "the journal's name",
            "first_name": "the reader's first name (may be empty)",
            "reason": "why the reader gets it (honest for imported readers)",
        },
    }
    DEFAULTS = {
        Kind.EDITION: {
            "subject": "{{ subject }}",
            "preheader": "",
            "intro": "",
            "footer": "You receive this because {{ reason }}.",
        },
        Kind.ALERT: {
            "subject": "New issue: {{ issue }}",
            "preheader": "",
            "intro": "{{ issue }} is out.",
            "footer": "You receive this because {{ reason }}.",
        },
    }
    PARTS = ("subject", "preheader", "intro", "footer")

    kind = models.CharField(max_length=20, choices=Kind.choices, unique=True)
    subject = models.CharField(max_length=200)
    preheader = models.CharField(
        max_length=150,
        blank=True,
        help_text="Preview text mail apps show after the subject (an edition's own preheader "
        "comes first).",
    )
    intro = models.TextField(
        "introduction",
        blank=True,
        help_text="A paragraph before the content (an edition's own introduction follows it).",
    )
    footer = models.TextField(
        help_text="Before the links to manage preferences and unsubscribe, which are always there."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "email template"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["edition", "issue_alert"]), name="emailwording_kind_valid"
            ),
        ]

    def __str__(self):
        return self.get_kind_display()

    @classmethod
    def for_kind(cls, kind: str) -> "EmailWording":
        """The saved words of this kind of email, or the defaults (unsaved)."""
        return cls.objects.filter(kind=kind).first() or cls(kind=kind, **cls.DEFAULTS[kind])

    def clean(self):
        errors = {}
        for part in self.PARTS:
            try:
                check_text(getattr(self, part), allowed=self.PLACEHOLDERS.get(self.kind, {}))
            except ValidationError as exc:
                errors[part] = exc.messages
        if errors:
            raise ValidationError(errors)

    def render(self, values: dict[str, str]) -> dict[str, str]:
        """Each part with its placeholders filled in (plain text: templates escape it)."""
        return {part: fill(getattr(self, part), values) for part in self.PARTS}


def check_text(text: str, *, allowed: dict[str, str]) -> None:
    """Refuse a text that names a placeholder not offered, or has anything else in braces."""
    unknown = sorted({name for name in PLACEHOLDER.findall(text) if name not in allowed})
    offered = ", ".join(f"{{{{ {name} }}}}" for name in allowed)
    if unknown:
        raise ValidationError(
            f"Unknown placeholder {', '.join(f'{{{{ {n} }}}}' for n in unknown)}: "
            f"this email offers {offered}."
        )
    rest = PLACEHOLDER.sub("", text)
    if BROKEN.search(rest):
        raise ValidationError(
            "Only placeholders written {{ name }} may be used: template tags, filters, "
            f"comments and unclosed braces are refused. This email offers {offered}."
        )


def fill(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: str(values.get(m[1], "")), text)
