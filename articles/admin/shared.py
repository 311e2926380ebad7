"""Admin helpers any app's admin may use (the subscriptions admin does): the public part
of articles.admin; the rest of it is the journal's own."""

from django.contrib.admin import helpers
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext as _

__all__ = [
    "LargeTablePaginator",
    "PlainActionCheckbox",
    "Reorderable",
    "ReorderableInlineFormSet",
    "search_words",
]


class LargeTablePaginator(Paginator):
    """A changelist paginator that does not count a large table row by row.

    On PostgreSQL, an unfiltered list takes the planner's row estimate (pg_class) once
    the table is large. A filtered or searched one is counted up to COUNT_LIMIT rows and
    no further (a search for a common word matches half the archive, and counting all of
    it would cost more than the page): its list then offers the first COUNT_LIMIT, and
    says there are more (templates/admin/pagination.html, search_form.html).
    Used with show_full_result_count = False, so no page counts the table.
    """

    EXACT_BELOW = 10_000
    COUNT_LIMIT = 1_000

    is_capped = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        if queryset.query.where:
            counted = queryset.order_by()[: self.COUNT_LIMIT + 1].count()
            self.is_capped = counted > self.COUNT_LIMIT
            return min(counted, self.COUNT_LIMIT)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] >= self.EXACT_BELOW:
                return row[0]
        return super().count


class PlainActionCheckbox:
    """Admin mixin: each row's action checkbox written directly, as Django's widget would.

    Django renders it through the form widget templates, one template render per row:
    a sixth of a 100-row changelist's CPU time.
    """

    def action_checkbox(self, obj):
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )


def search_words(search_term: str) -> list[str]:
    """The admin search box's words, split as Django splits them ("a phrase" stays whole)."""
    words = []
    for bit in smart_split(search_term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit:
            words.append(bit)
    return words


class Reorderable:
    """An inline whose rows editors put in order by dragging (or with the arrow keys).

    static/js/admin/reorder.js renumbers the rows' position fields in the order shown, so
    positions are stored as before; it needs no inline script (the admin's CSP holds).
    """

    classes = ["reorderable"]

    class Media:
        js = ["js/admin/reorder.js"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "position" and field is not None:
            # Tabular rows have column headings, not labels: name the box for screen readers.
            field.widget.attrs.setdefault("aria-label", "Position")
        return field


class ReorderableInlineFormSet(BaseInlineFormSet):
    """Saves edits that exchange values between rows in one go.

    Renumbering references 1 and 2, inserting a new reference 1, or swapping two
    authors' rows would give two rows the same number (or author) for a moment and
    trip the unique constraint. The rows being changed or deleted are removed first;
    the changed ones are then written back with their ids (an update that finds no
    row inserts). The admin saves inside a transaction, so nothing is lost on error.
    """

    def save_existing_objects(self, commit=True):
        if commit:
            touched = [
                form.instance.pk
                for form in self.initial_forms
                if form.instance.pk and (form in self.deleted_forms or form.has_changed())
            ]
            if touched:
                self.model._base_manager.filter(pk__in=touched).delete()
        return super().save_existing_objects(commit)
