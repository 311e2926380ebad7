import hashlib
import re
import secrets
import time
import unicodedata

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_countries import countries

from subscriptions.models import (
    PROFILE_FIELDS,
    MailingList,
    Profession,
    normalise_email,
    strip_invisible,
)

# Line breaks of every kind (CR, LF, NEL, U+2028/9) and other control characters: in a
# field that may reach an email header they are how headers are injected.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
FORM_STAMP_SALT = "subscriptions.form-started"
ADDRESS_FIELDS = ("address_line1", "city", "postal_code", "country")


def no_control_characters(value: str) -> None:
    if CONTROL.search(value or ""):
        raise ValidationError("Line breaks and control characters are not allowed here.")


def clean_text(value: str) -> str:
    value = strip_invisible(unicodedata.normalize("NFC", value or ""))
    return " ".join(value.split()) if not CONTROL.search(value) else value


def form_stamp(*, at: float | None = None) -> str:
    """A signed "form opened at" time, unique to one visitor (a random part makes it so)."""
    return signing.dumps(
        [time.time() if at is None else at, secrets.token_hex(8)], salt=FORM_STAMP_SALT
    )


def stamp_time(stamp: str) -> float | None:
    try:
        value = signing.loads(stamp or "", salt=FORM_STAMP_SALT)
        return float(value[0] if isinstance(value, list) else value)
    except (signing.BadSignature, TypeError, ValueError, IndexError):
        return None


def stamp_nonce(stamp: str) -> str | None:
    """What identifies one genuine stamp, to let it count once (None for a forged one)."""
    if stamp_time(stamp) is None:
        return None
    return hashlib.sha256(stamp.encode()).hexdigest()


class SafeCharField(forms.CharField):
    """A CharField that rejects CR/LF and strips invisible formatting characters."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", []).append(no_control_characters)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if isinstance(value, str) and CONTROL.search(value):
            return value
        return clean_text(super().to_python(value))


class SafeEmailField(forms.EmailField):
    def clean(self, value):
        no_control_characters(value or "")
        value = self.to_python(value)
        self.validate(value)
        if value and len(value) <= (self.max_length or 320):
            # Our specific refusals (long local part, bare host, IP literal) before the
            # generic "Enter a valid email address."
            value = normalise_email(value)
        self.run_validators(value)
        return value


class ListCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes that mark the lists needing a postal address, for static/js/subscribe.js."""

    needs_address: frozenset[int] = frozenset()

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if getattr(value, "value", value) in self.needs_address:
            option["attrs"]["data-needs-address"] = "true"
        return option


class ProfileFields(forms.Form):
    """Who the person is and where the print edition goes: shared by signup and preferences."""

    first_name = SafeCharField(max_length=100)
    last_name = SafeCharField(max_length=100)
    profession = forms.ChoiceField(choices=[("", "Choose…"), *Profession.choices])
    organization = SafeCharField(max_length=200, required=False)
    address_line1 = SafeCharField(label="Address line 1", max_length=200, required=False)
    address_line2 = SafeCharField(label="Address line 2", max_length=200, required=False)
    city = SafeCharField(label="City", max_length=100, required=False)
    region = SafeCharField(label="State / region", max_length=100, required=False)
    postal_code = SafeCharField(label="ZIP / postal code", max_length=20, required=False)
    country = forms.ChoiceField(choices=[("", "Choose…")], required=False)
    lists = forms.TypedMultipleChoiceField(
        label="I'd like to receive:",
        coerce=int,
        widget=ListCheckboxes,
        error_messages={"required": "Choose at least one publication."},
    )

    AUTOCOMPLETE = {
        "email": "email",
        "first_name": "given-name",
        "last_name": "family-name",
        "organization": "organization",
        "address_line1": "address-line1",
        "address_line2": "address-line2",
        "city": "address-level2",
        "region": "address-level1",
        "postal_code": "postal-code",
        "country": "country",
    }

    def __init__(self, *args, mailing_lists: tuple[MailingList, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.mailing_lists = mailing_lists
        self.fields["lists"].choices = [(m.pk, m.name) for m in mailing_lists]
        self.fields["lists"].widget.needs_address = frozenset(
            m.pk for m in mailing_lists if m.needs_address
        )
        self.fields["country"].choices = [("", "Choose…"), *countries]
        for name, token in self.AUTOCOMPLETE.items():
            if name in self.fields:
                self.fields[name].widget.attrs["autocomplete"] = token

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            # HTML forbids aria-* on a hidden input (a tampered consent_text, for one).
            if name in self.fields and not self.fields[name].widget.is_hidden:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{self[name].auto_id}-error"}
                )

    def chosen_lists(self) -> list[MailingList]:
        chosen = set(self.cleaned_data.get("lists") or ())
        return [m for m in self.mailing_lists if m.pk in chosen]

    def clean(self):
        cleaned = super().clean()
        if any(m.needs_address for m in self.chosen_lists()):
            for name in ADDRESS_FIELDS:
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, "Needed to mail you the print edition.")
        return cleaned

    def profile(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name in PROFILE_FIELDS}


class SubscribeForm(ProfileFields):
    email = SafeEmailField(label="Email", max_length=254)
    consent_text = forms.IntegerField(widget=forms.HiddenInput)
    # Bots fill every field and post at once; people leave this empty and take a few seconds.
    website = forms.CharField(label="Leave this field empty", required=False, max_length=200)
    started = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    field_order = ["email", "first_name", "last_name", "profession", "organization"]

    def __init__(self, *args, consent_text_id: int | None = None, stamped: bool = True, **kwargs):
        """stamped=False for the box on cached pages: its stamp is fetched per visitor."""
        super().__init__(*args, **kwargs)
        self.fields["consent_text"].initial = consent_text_id
        if stamped:
            self.fields["started"].initial = form_stamp()
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    def looks_automated(self) -> bool:
        """True when the honeypot is filled or the form came back too fast (or unsigned)."""
        age = self._age()
        return bool(self.data.get("website")) or age is None or age < min_form_seconds()

    def is_stale(self) -> bool:
        """Opened too long ago: a stamp kept for replaying, or a tab left open for days."""
        age = self._age()
        return age is not None and age > getattr(
            settings, "SUBSCRIPTIONS_FORM_MAX_AGE", 2 * 24 * 3600
        )

    def is_unstamped(self) -> bool:
        """Sent from a cached page's box without JavaScript, which fetches the stamp."""
        return not self.data.get("started")

    def restamped(self) -> "SubscribeForm":
        """The same answers with a stamp of this visitor's own, to be sent again."""
        data = self.data.copy()
        data["started"] = form_stamp()
        form = SubscribeForm(
            data,
            mailing_lists=self.mailing_lists,
            consent_text_id=self.fields["consent_text"].initial,
        )
        form.is_valid()
        form.add_error(None, "Please check your details and send the form again.")
        return form

    def refreshed(self) -> "SubscribeForm":
        """The same answers with a new stamp, dated so that sending them again at once counts."""
        data = self.data.copy()
        data["started"] = form_stamp(at=time.time() - min_form_seconds())
        form = SubscribeForm(
            data,
            mailing_lists=self.mailing_lists,
            consent_text_id=self.fields["consent_text"].initial,
        )
        form.is_valid()
        form.add_error(
            None,
            "This form was open for a long time. Please check your details and send it again.",
        )
        return form

    def _age(self) -> float | None:
        started = stamp_time(self.data.get("started", ""))
        return None if started is None else time.time() - started


def min_form_seconds() -> float:
    return getattr(settings, "SUBSCRIPTIONS_MIN_FORM_SECONDS", 3)


class PreferencesForm(ProfileFields):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lists"].required = False
        self.fields["lists"].label = "Send me:"


class ImportRowForm(ProfileFields):
    """One row of an imported CSV; lists are given by slug, separated by ';'."""

    email = SafeEmailField(max_length=254)
    requested_on = forms.DateField(required=False)

    def __init__(self, data, *, mailing_lists_by_slug: dict[str, MailingList]):
        data = {k.strip(): (v or "").strip() for k, v in data.items() if k}
        slugs = [s.strip() for s in data.get("lists", "").replace("|", ";").split(";") if s.strip()]
        self.unknown_lists = [s for s in slugs if s not in mailing_lists_by_slug]
        data["country"] = data.get("country", "").upper()
        known = [mailing_lists_by_slug[s] for s in slugs if s in mailing_lists_by_slug]
        data = {**data, "lists": [str(m.pk) for m in known]}
        super().__init__(data, mailing_lists=tuple(mailing_lists_by_slug.values()))
        for name in ("first_name", "last_name", "profession"):
            self.fields[name].required = False

    def clean_requested_on(self):
        requested_on = self.cleaned_data.get("requested_on")
        if requested_on and requested_on > timezone.localdate():
            # A future date would keep a print request qualified for more than three years.
            raise ValidationError("The request date is in the future.")
        return requested_on

    def clean(self):
        if self.unknown_lists:
            self.add_error("lists", f"unknown list {', '.join(self.unknown_lists)}")
        return super().clean()


class EmailOnlyForm(forms.Form):
    email = SafeEmailField(label="Email", max_length=254)


class ImportUploadForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, with a header row.", required=False)
    # The file of the dry run just shown, kept for its real run (models.PendingImport).
    pending = forms.UUIDField(required=False, widget=forms.HiddenInput)
    source = SafeCharField(
        label="Where this list comes from",
        max_length=200,
        help_text="Recorded as the consent source, e.g. “2019 ASHP conference sign-up sheet”.",
    )
    dry_run = forms.BooleanField(
        label="Dry run: report only, change nothing", required=False, initial=True
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload:
            return None
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError("The file is not UTF-8 text. Save it as CSV UTF-8.") from exc

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("file") and not cleaned.get("pending"):
            self.add_error("file", "Choose the CSV file to import.")
        return cleaned
