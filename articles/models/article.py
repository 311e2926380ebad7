"""Articles, their ordered authors, references and editor-picked related items."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Prefetch, Q, Value, When
from django.utils import timezone

from articles import citations
from articles.derived.writes import KeptQuerySet
from articles.fields import DOIField, PMIDField, RichTextField
from articles.images import validate_image
from articles.models.journal import Author, Issue, PublishState, Section, Topic
from articles.models.publishing import (
    PublishableQuerySet,
    Visibility,
    VisibilityMixin,
    own_visibility,
)
from articles.paths import slug_path
from articles.references import split_identifiers
from articles.sanitizer import sanitize_html
from articles.validators import validate_pdf


class ArticleQuerySet(KeptQuerySet, PublishableQuerySet):
    def _issue_is_live(self, now=None) -> Q:
        # Through the join to the issue (which list pages select anyway), not a subquery
        # over every issue: the archive's 2,500 issues cost each list query a hashed scan.
        now = now or timezone.now()
        return Q(issue__isnull=True) | self._live_own_state(now, prefix="issue__")

    def published(self) -> "ArticleQuerySet":
        """What readers may see: published, due, and in a published issue (or in none).

        The one rule every public path uses: pages, feeds, sitemap, search, related items.
        """
        now = timezone.now()
        return self.filter(self._live_own_state(now) & self._issue_is_live(now))

    def live_condition(self, now=None) -> Q:
        """published() as a condition, for annotations (e.g. OAI's deleted flag)."""
        now = now or timezone.now()
        return self._live_own_state(now) & self._issue_is_live(now)

    def withdrawn(self) -> "ArticleQuerySet":
        """Once live, not live now: taken back to draft, moved to a later time, or in an
        issue taken back to draft. Harvesters are told it is gone (until it is live again).
        An article published into an issue that never had a publication time was never
        seen, so it is not reported."""
        now = timezone.now()
        return (
            self.filter(first_published_at__isnull=False, first_published_at__lte=now)
            .filter(Q(issue__isnull=True) | Q(issue__published_at__lte=now))
            .exclude(self.live_condition(now))
        )

    def with_visibility(self) -> "ArticleQuerySet":
        """Annotate `visibility` in SQL: draft, scheduled, waiting for its issue, or live."""
        now = timezone.now()
        return self.annotate(
            visibility=Case(
                *self._own_state_cases(now),
                When(self._issue_is_live(now), then=Value(Visibility.LIVE)),
                default=Value(Visibility.WAITING),
                output_field=models.CharField(max_length=10),
            )
        )

    def for_listing(self) -> "ArticleQuerySet":
        """Everything a list item shows (issue label, section, topics, authors) in 3 queries."""
        return self.select_related("issue__journal", "section").prefetch_related(
            *listing_prefetches()
        )

    def for_cards(self) -> "ArticleQuerySet":
        """What a list item shows (articles_tags.article_item), in one query: the stored
        byline and topic names, the issue's label and the section's name; none of the
        large columns (the body and its HTML)."""
        return self.select_related("issue__journal", "section").only(*CARD_FIELDS)

    def newest_first(self) -> "ArticleQuerySet":
        return self.order_by("-published_at", "-pk")

    def in_contents_order(self) -> "ArticleQuerySet":
        """An issue's table of contents order: by section, then the editors' position."""
        return self.order_by("section__position", "section__name", "position", "pk")


# Stored on the article, written by articles.derived.cards when its authors or topics change.
LINK_LINES = ("byline", "topics_line", "authors_data", "topics_data")
CARD_FIELDS = (
    "title",
    "slug",
    "byline",
    "topics_line",
    "published_at",
    "first_page",
    "last_page",
    "issue__title",
    "issue__slug",
    "issue__kind",
    "issue__volume",
    "issue__number",
    "issue__cover_date",
    "issue__journal__short_name",
    "section__name",
    "section__slug",
)


def listing_prefetches() -> list[Prefetch]:
    """The topics and byline a list item shows (see for_listing)."""
    return [
        Prefetch("topics", queryset=Topic.objects.order_by("article_topics__position", "name")),
        Prefetch(
            "authorships",
            queryset=Authorship.objects.select_related("author").order_by("position", "pk"),
        ),
    ]


def load_relations(article: "Article") -> None:
    """What the article page shows of an article's authors, topics and references, as
    prefetches: the authors and topics from the copies stored on the article
    (articles.derived.cards), the references in one plain query."""
    references = list(Reference.objects.filter(article_id=article.pk).order_by("position"))
    for reference in references:
        reference._state.fields_cache["article"] = article
    found = {
        "authorships": [
            Authorship(article=article, author=Author(**author), position=position)
            for position, author in enumerate(article.authors_data)
        ],
        "topics": [Topic(**topic) for topic in article.topics_data],
        "references": references,
    }
    cache = article.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in found.items():
        related = getattr(article, name).all()  # the related manager's queryset: no query
        related._result_cache = rows
        related._prefetch_done = True
        cache[name] = related


class Article(VisibilityMixin, models.Model):
    Status = PublishState

    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200, unique=True)
    issue = models.ForeignKey(
        Issue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        help_text="Leave empty for a web-only article.",
    )
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, null=True, blank=True, related_name="articles"
    )
    topics = models.ManyToManyField(
        Topic, through="ArticleTopic", blank=True, related_name="articles"
    )
    authors = models.ManyToManyField(
        Author, through="Authorship", blank=True, related_name="articles"
    )
    standfirst = models.TextField(
        blank=True, help_text="Abstract or summary shown under the title."
    )
    body = RichTextField(
        blank=True,
        help_text="Cite references as [1], [1,2] or [3-5]; they become numbered links.",
    )
    # Rendered once on save, not on every view (see render_body).
    body_html = models.TextField(editable=False, blank=True)
    # What a list item shows of its authors and topics, kept up to date by articles.derived.cards.
    byline = models.TextField(editable=False, blank=True)
    topics_line = models.TextField(editable=False, blank=True)
    # The article page's copies of its authors and topics (articles.derived.cards keeps them).
    authors_data = models.JSONField(editable=False, default=list, blank=True)
    topics_data = models.JSONField(editable=False, default=list, blank=True)
    lead_image = models.ImageField(
        upload_to="articles/%Y/%m/",
        blank=True,
        validators=[validate_image],
        help_text="JPEG, PNG or WebP, up to 10 MB and 8000 pixels a side.",
    )
    lead_image_alt = models.CharField("lead image alt text", max_length=250, blank=True)
    lead_image_caption = models.CharField(max_length=300, blank=True)
    pdf = models.FileField(
        "PDF", upload_to="pdf/%Y/", blank=True, validators=[validate_pdf], help_text="Up to 50 MB."
    )
    doi = DOIField("DOI", max_length=200, blank=True)
    first_page = models.CharField(max_length=10, blank=True)
    last_page = models.CharField(max_length=10, blank=True)
    elocation_id = models.CharField(
        "e-location ID",
        max_length=30,
        blank=True,
        help_text="Only if the journal gives the article an electronic page number (e.g. e12) "
        "instead of pages.",
    )
    licence_url = models.URLField(
        "licence URL",
        max_length=300,
        blank=True,
        help_text="Empty: the journal's licence. Set it when this article is published under "
        "another (e.g. an open-access article).",
    )
    licence_name = models.CharField(max_length=200, blank=True)
    copyright_holder = models.CharField(
        max_length=200, blank=True, help_text="Empty: the journal's copyright holder."
    )
    keywords = models.CharField(max_length=500, blank=True, help_text="Comma-separated.")
    seo_description = models.CharField(
        "SEO description",
        max_length=300,
        blank=True,
        help_text="Meta description for search engines.",
    )
    is_featured = models.BooleanField("featured", default=False)
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order within its section in the issue's table of contents."
    )
    status = models.CharField(
        max_length=10, choices=PublishState.choices, default=PublishState.DRAFT
    )
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="A future time schedules the article."
    )
    first_published_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When it was first published: from then on its DOI is fixed, and harvesters "
        "are told when it is withdrawn.",
    )
    export_problems = models.TextField(
        blank=True,
        editable=False,
        help_text="What stopped its Crossref or JATS record from validating, at the last check.",
    )
    export_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    corrected_at = models.DateTimeField(
        "corrected on",
        null=True,
        blank=True,
        help_text="Set this (“Now”) when you correct or update the published article: "
        "readers see “Corrected on …”. Other saves change nothing readers see.",
    )
    correction_note = models.CharField(
        max_length=300,
        blank=True,
        help_text="Shown to readers with the date, e.g. “The dose in Table 2 was corrected.”",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When anything its machine-readable record shows last changed (its authors, topics,
    # section, issue, journal, references; articles.derived.records): after updated_at,
    # so a save dates it no earlier.
    record_modified_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    # Copies kept by articles.derived alone (a write of these only needs no keeping).
    DERIVED_FIELDS = (*LINK_LINES, "body_html", "record_modified_at")
    # The export gate's bookkeeping: in no copy and no record.
    UNRECORDED_FIELDS = ("export_problems", "export_checked_at", "first_published_at")

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "published_at"], name="article_status_pub_idx"),
            models.Index(fields=["-published_at"], name="article_pub_desc_idx"),
            models.Index(fields=["issue", "position"], name="article_issue_pos_idx"),
            models.Index(fields=["is_featured", "-published_at"], name="article_featured_idx"),
            # The published ones, with what the public rule and the sitemap read: counting
            # and paging them reads this index alone.
            models.Index(
                fields=["id"],
                include=["issue", "published_at", "updated_at"],
                condition=Q(status=PublishState.PUBLISHED),
                name="article_published_idx",
            ),
            models.Index(fields=["-updated_at"], name="article_updated_desc_idx"),
            # OAI-PMH harvests from a date (ListIdentifiers&from=).
            models.Index(fields=["record_modified_at"], name="article_record_modified_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["doi"],
                condition=~Q(doi=""),
                name="article_doi_unique",
                violation_error_message="Another article already has this DOI.",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # What readers see of the body is derived from it here, once, not on every view.
        self.__dict__.update(self.derive_from_body())
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            if "body" in update_fields:
                update_fields = {*update_fields, "body_html"}
            if set(update_fields) - set(self.UNRECORDED_FIELDS):
                # What a record shows changed: the record is dated now (auto_now).
                update_fields = {*update_fields, "record_modified_at"}
            kwargs["update_fields"] = update_fields
        elif update_fields is None and not (
            args or self._state.adding or kwargs.get("force_insert")
        ):
            # The stored byline and topic names are written by articles.derived.cards alone: this
            # copy of them may predate a change of the article's authors or topics.
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in LINK_LINES and f.attname not in deferred
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return slug_path("articles:article-detail", self.slug)

    def clean(self):
        self.clean_publish_time()
        if self.first_published_at and self.pk:
            registered = Article.objects.filter(pk=self.pk).values_list("doi", flat=True).first()
            if registered and self.doi != registered:
                raise ValidationError(
                    {
                        "doi": f"This article was published with the DOI {registered}; "
                        "a DOI never changes once published."
                    }
                )
        if self.doi and not self.first_published_at and not self.is_citable:
            raise ValidationError(
                {
                    "doi": f"Articles in {self.section} get no DOI (the section is not "
                    "citable): leave the DOI empty, or make the section citable."
                }
            )
        if self.lead_image and not self.lead_image_alt.strip():
            raise ValidationError(
                {"lead_image_alt": "Describe the image for readers who cannot see it."}
            )

    def render_body(self) -> str:
        """The body as readers see it: sanitized, citations linked to the references."""
        return citations.link_citations(sanitize_html(self.body))

    def derive_from_body(self) -> dict[str, str]:
        """The fields save() derives from the body, for writers that bypass save()."""
        return {"body_html": self.render_body()}

    @property
    def cited_numbers(self) -> frozenset[int]:
        """Reference numbers the body cites."""
        return citations.cited_numbers(sanitize_html(self.body))

    def check_citations(self, reference_numbers: Iterable[int] | None = None) -> None:
        """Raise a ValidationError (code "missing_reference") if the body cites a number
        no reference has: the stored references', or the given numbers (a form's)."""
        if reference_numbers is None:
            reference_numbers = self.references.values_list("position", flat=True)
        if missing := sorted(self.cited_numbers - set(reference_numbers)):
            raise ValidationError(
                "The body cites %(cited)s but there is no reference with that number. "
                "Add the reference or correct the citation.",
                code="missing_reference",
                params={"cited": ", ".join(f"[{n}]" for n in missing)},
            )

    def _python_visibility(self) -> Visibility:
        # Draft, scheduled, waiting for its issue, or live (see articles.models.publishing).
        own = own_visibility(self)
        if own == Visibility.LIVE and self.issue_id and not self.issue.is_public:
            return Visibility.WAITING
        return own

    @property
    def is_scholarly(self) -> bool:
        return self.section is None or self.section.is_scholarly

    @property
    def is_citable(self) -> bool:
        """Whether its type gets a DOI (and so Scholar's tags and an abstract in Crossref)."""
        return self.section is None or self.section.is_citable

    @property
    def ordered_authors(self) -> list[Author]:
        """Authors in byline order; uses the prefetch from for_listing() when present."""
        return [a.author for a in self.authorships.all()]

    @property
    def categories(self) -> list[str]:
        """Section first, then topics, as the seed prints them after "in"."""
        names = [self.section.name] if self.section_id else []
        topics = self.topics.all()
        if "topics" not in getattr(self, "_prefetched_objects_cache", {}):
            topics = topics.order_by("article_topics__position", "name")
        return names + [t.name for t in topics]

    def related_items(self, n: int = 10) -> list["Article"]:
        """Editor-picked related articles first, then those sharing most topics, then newest.

        Read from the list ranked when content changed (articles.derived.related), through the
        published() rule: never itself, never unpublished. One query, with everything a
        list item shows (for_cards); one more to fill the list with the newest articles if
        too few of its entries are live.
        """
        listed = Article.objects.published().for_cards()
        items = list(listed.filter(ranked_in__article=self).order_by("ranked_in__position")[:n])
        if len(items) < n:
            items += listed.exclude(pk__in=[self.pk, *(item.pk for item in items)]).newest_first()[
                : n - len(items)
            ]
        return items


class Authorship(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="authorships")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="authorships")
    position = models.PositiveSmallIntegerField(default=0)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "author"], name="authorship_once_per_article"
            ),
        ]
        # An author's articles without reading the authorships' rows (author pages and
        # counts, the admin's search by author).
        indexes = [models.Index(fields=["author", "article"], name="authorship_author_idx")]

    def __str__(self):
        return f"{self.author} on {self.article}"


class Reference(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="references")
    position = models.PositiveSmallIntegerField(
        help_text="The reference's number, as cited in the body."
    )
    citation = models.TextField(
        help_text="As the journal prints it (AMA style). A DOI or PMID at its end moves to "
        "its own field (the page prints each once, as a link)."
    )
    doi = DOIField("DOI", max_length=200, blank=True)
    pmid = PMIDField("PMID", max_length=12, blank=True)
    url = models.URLField("URL", max_length=500, blank=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "position"], name="reference_unique_number"),
        ]

    def __str__(self):
        return f"{self.position}. {self.citation[:80]}"

    def clean(self):
        # One rule everywhere: the DOI and PMID live in their fields, not in the printed
        # citation, so the page never prints them twice.
        found = split_identifiers(self.citation)
        errors = {}
        for name, label in (("doi", "DOI"), ("pmid", "PMID")):
            in_text, in_field = getattr(found, name), getattr(self, name)
            if in_text and in_field and in_text.lower() != in_field.lower():
                errors[name] = (
                    f"The citation gives the {label} {in_text}, this field {in_field}: "
                    "keep the right one here and take it out of the citation."
                )
            elif in_text and not in_field:
                setattr(self, name, in_text)
        if errors:
            raise ValidationError(errors)
        self.citation = found.citation

    @property
    def anchor_id(self) -> str:
        """The id the body's citations link to: ref-N."""
        return citations.ref_anchor(self.position)

    @property
    def backlink_id(self) -> str:
        """The id of the body's first citation of this reference ("" if never cited)."""
        anchor = citations.cite_anchor(self.position, 1)
        return anchor if f'id="{anchor}"' in self.article.body_html else ""

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def pubmed_url(self) -> str:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""


class RelatedItem(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related_from")
    position = models.PositiveSmallIntegerField(default=0)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["article", "related"], name="related_item_once"),
            models.CheckConstraint(
                condition=~Q(article=F("related")), name="related_item_not_self"
            ),
        ]

    def __str__(self):
        return f"{self.article} → {self.related}"
