"""The journal, its issues, and the vocabularies articles are filed under."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from articles.derived.writes import KeptQuerySet
from articles.images import validate_image
from articles.models.publishing import (
    PublishableQuerySet,
    PublishState,
    VisibilityMixin,
)
from articles.paths import slug_path
from articles.validators import (
    validate_copyright_pattern,
    validate_doi,
    validate_doi_prefix,
    validate_doi_suffix_pattern,
    validate_issn,
    validate_orcid,
)


class JournalQuerySet(KeptQuerySet):
    def primary(self) -> "Journal | None":
        """The journal this site is about: the one marked primary, else the oldest."""
        return self.order_by("-is_primary", "pk").first()


class Journal(models.Model):
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=30, help_text="As printed in issue labels, e.g. JHOP.")
    abbreviation = models.CharField(
        max_length=100,
        blank=True,
        help_text="The NLM (ISO 4) title abbreviation citations use, e.g. J Hematol Oncol Pharm.",
    )
    slug = models.SlugField(max_length=60, unique=True)
    issn_print = models.CharField(
        "ISSN (print)", max_length=9, blank=True, validators=[validate_issn]
    )
    issn_online = models.CharField(
        "ISSN (online)", max_length=9, blank=True, validators=[validate_issn]
    )
    publisher = models.CharField(max_length=200, blank=True)
    doi_prefix = models.CharField(
        "DOI prefix",
        max_length=50,
        blank=True,
        help_text="e.g. 10.12345",
        validators=[validate_doi_prefix],
    )
    doi_suffix_pattern = models.CharField(
        "DOI suffix pattern",
        max_length=100,
        default="{journal}.{year}.{id}",
        validators=[validate_doi_suffix_pattern],
        help_text="How new DOIs are made when an article is first published: "
        "{journal} (short name, lower case), {year}, {volume}, {issue}, {id} (the article's "
        "number, which makes each DOI unique) and {slug}. E.g. {journal}.{year}.{id} gives "
        "10.12345/jhop.2022.123.",
    )
    issue_doi_pattern = models.CharField(
        "issue DOI suffix pattern",
        max_length=100,
        blank=True,
        validators=[validate_doi_suffix_pattern],
        help_text="Leave empty for no issue DOIs. Otherwise how an issue's DOI is made when "
        "it is first registered with Crossref, from the same parts as articles' ({id} and "
        "{slug} are the issue's), e.g. {journal}.issue.{slug}.",
    )
    crossmark_policy_doi = models.CharField(
        "Crossmark policy DOI",
        max_length=200,
        blank=True,
        validators=[validate_doi],
        help_text="The DOI of the journal's Crossmark policy page, as registered with "
        "Crossref, e.g. 10.12345/jhop.crossmark-policy. Empty: no Crossmark.",
    )
    copyright_line = models.CharField(
        max_length=200, blank=True, help_text="Shown in every page's footer."
    )
    postal_address = models.TextField(
        blank=True, help_text="The publisher's postal address, printed in every email."
    )
    licence_url = models.URLField(
        "licence URL",
        max_length=300,
        blank=True,
        help_text="The licence articles are published under, written into every JATS, Crossref, "
        "OAI and page record: a Creative Commons licence (e.g. "
        "https://creativecommons.org/licenses/by-nc-nd/4.0/) or the publisher's terms page. "
        "An article may name another.",
    )
    licence_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="e.g. CC BY-NC-ND 4.0, or Amplity Health terms of use.",
    )
    copyright_holder = models.CharField(
        max_length=200, blank=True, help_text="Who holds the copyright; empty: the publisher."
    )
    copyright_statement = models.CharField(
        max_length=200,
        default="© {year} {holder}",
        validators=[validate_copyright_pattern],
        help_text="The copyright line of each article's records: {year} (the year the article "
        "was first published) and {holder}, e.g. “© {year} {holder}. All rights reserved.”",
    )
    description = models.TextField(blank=True)
    is_primary = models.BooleanField(
        default=False, help_text="The journal this site is about; exactly one should be primary."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = JournalQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_primary"],
                condition=Q(is_primary=True),
                name="journal_one_primary",
                violation_error_message="Another journal is already the primary one: "
                "untick “primary” there first.",
            ),
        ]

    def __str__(self):
        return self.name


class KeepsStoredCounts:
    """Topics, sections and authors: their stored counts and dates are written by
    articles.derived.counts alone. Saving one loaded earlier (an editor renaming a topic, authors
    merged) leaves them as the database has them, instead of writing back the values it
    loaded, which another writer may have changed since."""

    STORED = ("published_count", "articles_changed_at")
    DERIVED_FIELDS = STORED

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.STORED
            ]
        super().save(*args, **kwargs)


class IssueQuerySet(KeptQuerySet, PublishableQuerySet):
    """published(), scheduled() and with_visibility() come from PublishableQuerySet."""


class Issue(VisibilityMixin, models.Model):
    class Kind(models.TextChoices):
        REGULAR = "regular", "Regular issue"
        SPECIAL_FEATURE = "special-feature", "Special Feature"
        SUPPLEMENT = "supplement", "Supplement"
        SPECIAL_ISSUE = "special-issue", "Special Issue"
        YEAR_IN_REVIEW = "year-in-review", "Year in Review"

    Status = PublishState

    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="issues")
    volume = models.PositiveSmallIntegerField(null=True, blank=True)
    number = models.PositiveSmallIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.REGULAR)
    title = models.CharField(
        max_length=200,
        blank=True,
        help_text='Optional, e.g. "2021 Year in Review - Breast Cancer" or '
        '"Clinical Trials to Clinical Practice".',
    )
    slug = models.SlugField(max_length=120, unique=True)
    cover_date = models.DateField(help_text="Readers see the month and year: June 2022.")
    cover_image = models.ImageField(
        upload_to="covers/%Y/",
        blank=True,
        validators=[validate_image],
        help_text="JPEG, PNG or WebP, up to 10 MB and 8000 pixels a side.",
    )
    cover_image_alt = models.CharField("cover alt text", max_length=250, blank=True)
    doi = models.CharField(
        "DOI",
        max_length=200,
        blank=True,
        validators=[validate_doi],
        help_text="Given when the issue is first registered with Crossref, if the journal "
        "has an issue DOI pattern; fixed from then on.",
    )
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=PublishState.choices, default=PublishState.DRAFT
    )
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="A future time schedules the issue."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IssueQuerySet.as_manager()

    class Meta:
        ordering = ["-cover_date", "-volume", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["journal", "volume", "number", "kind"], name="issue_unique_per_journal"
            ),
            models.UniqueConstraint(
                fields=["doi"],
                condition=~Q(doi=""),
                name="issue_unique_doi",
                violation_error_message="Another issue already has this DOI.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "published_at"], name="issue_status_pub_idx"),
            # The newest issue (the home page's current issue) without sorting them all.
            models.Index(fields=["-cover_date", "-volume", "-number"], name="issue_newest_idx"),
        ]

    def __str__(self):
        return self.full_label

    def get_absolute_url(self):
        return slug_path("articles:issue-detail", self.slug)

    def clean(self):
        self.clean_publish_time()
        if self.cover_image and not self.cover_image_alt.strip():
            raise ValidationError(
                {"cover_image_alt": "Describe the cover for readers who cannot see it."}
            )
        if self.journal_id and self.cover_date and (self.volume is None or self.number is None):
            # The unique constraint cannot see a missing volume or number (NULLs differ),
            # so two "Vol 12 Special Feature" issues of the same month would get through.
            twins = Issue.objects.filter(
                journal_id=self.journal_id,
                kind=self.kind,
                volume=self.volume,
                number=self.number,
                title=self.title,
                cover_date__year=self.cover_date.year,
                cover_date__month=self.cover_date.month,
            ).exclude(pk=self.pk)
            if twins.exists():
                raise ValidationError(f"There is already an issue “{self.label}”.")

    @property
    def month_label(self) -> str:
        return self.cover_date.strftime("%B %Y")

    @property
    def label(self) -> str:
        """The label as the journal prints it, e.g. "JHOP - June 2022 Vol 12, No 3"."""
        if self.title and self.kind == self.Kind.YEAR_IN_REVIEW:
            return self.title
        if self.title:
            return f"{self.month_label} {self.title}"
        return self._numbered_label

    @property
    def full_label(self) -> str:
        """The label with the month, volume and number always in it, then any title:
        "JHOP - December 2026 Vol 16, No 8", "JHOP - February 2022 Vol 12: Clinical Trials
        to Clinical Practice". Wherever editors pick an issue: a titled label alone does
        not say which issue it is. (Readers see the label, as the journal prints it.)"""
        if self.title:
            # The title names the kind ("2021 Year in Review - Breast Cancer").
            numbered = " ".join(p for p in (self.month_label, self.volume_number) if p)
            return f"{self.journal.short_name} - {numbered}: {self.title}"
        return self._numbered_label

    @property
    def _numbered_label(self) -> str:
        label = f"{self.journal.short_name} - {self.month_label}"
        if volume_number := self.volume_number:
            label += f" {volume_number}"
        if self.kind != self.Kind.REGULAR:
            label += f" {self.get_kind_display()}"
        return label

    @property
    def volume_number(self) -> str:
        """ "Vol 12, No 3" (or as much of it as the issue has), as the label prints it."""
        parts = [
            f"Vol {self.volume}" if self.volume else "",
            f"No {self.number}" if self.number else "",
        ]
        return ", ".join(p for p in parts if p)

    @property
    def dateline(self) -> str:
        """The month and volume/number under a titled label: "June 2022 · Vol 12, No 3"."""
        return " · ".join(p for p in (self.month_label, self.volume_number) if p)

    @property
    def is_special(self) -> bool:
        return self.kind != self.Kind.REGULAR


class Section(KeepsStoredCounts, models.Model):
    class ContentKind(models.TextChoices):
        SCHOLARLY = "scholarly", "Scholarly (original article, review, case report)"
        NEWS = "news", "News (e.g. FDA Oncology Update)"

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    content_kind = models.CharField(
        max_length=10, choices=ContentKind.choices, default=ContentKind.SCHOLARLY
    )
    is_citable = models.BooleanField(
        "citable (gets a DOI)",
        default=True,
        help_text="Its articles get a DOI when first published, Google Scholar's citation tags "
        "and an abstract in their Crossref record. Untick for items no one cites.",
    )
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order of sections in an issue's table of contents."
    )
    # Live articles, and when their list last changed, kept up to date by articles.derived.counts.
    published_count = models.PositiveIntegerField(default=0, editable=False)
    articles_changed_at = models.DateTimeField(null=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_path("articles:section-detail", self.slug)

    @property
    def is_scholarly(self) -> bool:
        return self.content_kind == self.ContentKind.SCHOLARLY


class Topic(KeepsStoredCounts, models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    # Live articles, and when their list last changed, kept up to date by articles.derived.counts.
    published_count = models.PositiveIntegerField(default=0, editable=False)
    articles_changed_at = models.DateTimeField(null=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_path("articles:topic-detail", self.slug)


class Author(KeepsStoredCounts, models.Model):
    given_name = models.CharField(max_length=100, help_text="With middle initials: Robert J.")
    family_name = models.CharField(max_length=100)
    credentials = models.CharField(
        max_length=150, blank=True, help_text="Degrees and certifications: PharmD, BCOP."
    )
    slug = models.SlugField(max_length=120, unique=True)
    affiliation = models.CharField(max_length=300, blank=True)
    orcid = models.CharField(
        "ORCID iD",
        max_length=19,
        blank=True,
        validators=[validate_orcid],
        help_text="The 16-character iD only, e.g. 0000-0002-1825-0097.",
    )
    bio = models.TextField(blank=True)
    photo = models.ImageField(
        upload_to="authors/",
        blank=True,
        validators=[validate_image],
        help_text="JPEG, PNG or WebP, up to 10 MB and 8000 pixels a side.",
    )
    photo_alt = models.CharField("photo alt text", max_length=250, blank=True)
    # Live articles, and when their list last changed, kept up to date by articles.derived.counts.
    published_count = models.PositiveIntegerField(default=0, editable=False)
    articles_changed_at = models.DateTimeField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [models.Index(fields=["family_name", "given_name"], name="author_name_idx")]

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return slug_path("articles:author-detail", self.slug)

    def clean(self):
        if self.photo and not self.photo_alt.strip():
            raise ValidationError({"photo_alt": "Describe the photo, e.g. “Portrait of …”."})

    @property
    def name(self) -> str:
        """The person's name alone, as machine-readable metadata needs it."""
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def display_name(self) -> str:
        """Name with credentials, as the journal prints it: "Meg Barbor, MPH"."""
        return f"{self.name}, {self.credentials}" if self.credentials else self.name
