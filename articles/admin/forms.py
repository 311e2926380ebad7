"""Admin forms that fill in what the editor should not have to type."""

import calendar
import datetime

from django import forms

from articles.admin.uploads import KeepsUploads
from articles.models import Author, Issue, Journal
from articles.text import slugify, unique_slug

MONTH_CHOICES = [("", "Month")] + [(str(n), calendar.month_name[n]) for n in range(1, 13)]


class MonthYearWidget(forms.MultiWidget):
    """A month list and a year box: readers see "June 2022", editors enter just that."""

    def __init__(self, attrs=None):
        super().__init__(
            [
                forms.Select(choices=MONTH_CHOICES, attrs={"aria-label": "Cover month"}),
                forms.NumberInput(
                    attrs={"min": 1900, "max": 2200, "size": 6, "aria-label": "Cover year"}
                ),
            ],
            attrs,
        )

    def decompress(self, value):
        if isinstance(value, datetime.date):
            return [str(value.month), value.year]
        return [None, None]

    def value_from_datadict(self, data, files, name):
        # A full date (as scripts and older forms send it) is accepted too.
        if name in data and f"{name}_0" not in data:
            try:
                day = datetime.date.fromisoformat(data[name])
            except ValueError:
                return [None, None]
            return [str(day.month), str(day.year)]
        return super().value_from_datadict(data, files, name)


class MonthYearField(forms.MultiValueField):
    widget = MonthYearWidget

    def __init__(self, **kwargs):
        kwargs.pop("max_length", None)
        super().__init__(
            fields=[
                forms.TypedChoiceField(choices=MONTH_CHOICES, coerce=int),
                forms.IntegerField(min_value=1900, max_value=2200),
            ],
            error_messages={"incomplete": "Choose the month and enter the year."},
            require_all_fields=False,
            **kwargs,
        )

    def compress(self, data_list):
        if not data_list or data_list[0] in (None, "") or data_list[1] in (None, ""):
            return None
        return datetime.date(int(data_list[1]), int(data_list[0]), 1)


class IssueForm(KeepsUploads, forms.ModelForm):
    cover_date = MonthYearField(
        label="Cover month", help_text="Readers see the month and year: June 2022."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields[
                "slug"
            ].help_text = "Leave empty to make it from the label, e.g. jhop-june-2022-vol-12-no-3."

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("slug") and cleaned.get("journal") and cleaned.get("cover_date"):
            draft = Issue(
                journal=cleaned["journal"],
                volume=cleaned.get("volume"),
                number=cleaned.get("number"),
                kind=cleaned.get("kind") or Issue.Kind.REGULAR,
                title=cleaned.get("title", ""),
                cover_date=cleaned["cover_date"],
            )
            cleaned["slug"] = unique_slug(
                Issue, draft.label, exclude_pk=self.instance.pk, max_length=120
            )
        return cleaned


class AuthorForm(KeepsUploads, forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = "Filled in from the name; kept unique (jane-doe-2)."

    def clean(self):
        cleaned = super().clean()
        name = f"{cleaned.get('given_name', '')} {cleaned.get('family_name', '')}".strip()
        slug = cleaned.get("slug")
        automatic = not slug or (self.instance.pk is None and slug == slugify(name))
        if name and automatic:
            # Two people with one name: the second gets jane-doe-2 rather than an error.
            cleaned["slug"] = unique_slug(Author, name, exclude_pk=self.instance.pk, max_length=120)
        return cleaned


def primary_journal_initial() -> dict:
    journal = Journal.objects.primary()
    return {"journal": journal.pk} if journal else {}
