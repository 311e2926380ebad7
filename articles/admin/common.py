"""Helpers the journal admins share."""

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html

from articles import services
from articles.images import rendition
from articles.models.publishing import Visibility


def thumbnail(image, alt: str, width: int = 80):
    found = rendition(image, width)
    if found is None:
        return "—"
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="{}">',
        found.url,
        found.width,
        found.height,
        alt,
    )


def state(obj) -> str:
    """An issue's or article's visibility (the model's definition) in the editor's words."""
    match obj.visibility:
        case Visibility.SCHEDULED:
            return (
                f"Scheduled for {date_format(timezone.localtime(obj.published_at), 'M j, Y H:i')}"
            )
        case Visibility.WAITING:
            return "Published, hidden until its issue is"
        case Visibility.LIVE:
            return "Published"
    return "Draft"


class SiteLinkMixin:
    def view_on_site(self, obj):
        # Relative, so the link follows the host the editor is on rather than the Site row.
        return obj.get_absolute_url()


class PublishActionsMixin:
    """The publish and unpublish actions, the same for issues and articles."""

    @admin.action(description="Publish (now, or at the scheduled time)")
    def publish(self, request, queryset):
        self._report(request, services.publish(objects=queryset, user=request.user), "published")

    @admin.action(description="Unpublish (back to draft)")
    def unpublish(self, request, queryset):
        result = services.unpublish(objects=queryset, user=request.user)
        self._report(request, result, "unpublished")

    def _report(self, request, result, verb: str) -> None:
        """Tell the editor what the action did, and what it refused to do."""
        noun = self.model._meta.verbose_name
        self.message_user(request, f"{result.changed} {noun}(s) {verb}.", messages.SUCCESS)
        for note in result.not_yet_public:
            self.message_user(request, note, messages.WARNING)
        for problem in result.refused:
            self.message_user(request, f"Not {verb}: {problem}", messages.ERROR)


def count_of(model, field: str):
    """How many model rows point at each row listed: a subquery per row shown, so a
    changelist of 100 rows counts for those 100, not for the whole table."""
    counted = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


class LargeTablePaginator(Paginator):
    """A changelist paginator that does not count a large table row by row.

    On PostgreSQL, an unfiltered list takes the planner's row estimate (pg_class) once
    the table is large; a filtered or searched one is counted as usual (the filters are
    indexed). Used with show_full_result_count = False, so no page counts the table.
    """

    EXACT_BELOW = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if (
            connection.vendor == "postgresql"
            and isinstance(queryset, QuerySet)
            and not queryset.query.where
        ):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] >= self.EXACT_BELOW:
                return row[0]
        return super().count
