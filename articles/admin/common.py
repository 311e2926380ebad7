"""Helpers the journal admins share."""

from django.contrib import messages
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

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


class LabelledDateTimes:
    """Admin mixin: the date and the time box of a date-time field each get a name.

    Django's split date-time widget labels only the first box of the pair.
    """

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        widgets = getattr(getattr(field, "widget", None), "widgets", None)
        if widgets and len(widgets) == 2 and db_field.get_internal_type() == "DateTimeField":
            label = str(db_field.verbose_name).capitalize()
            widgets[0].attrs["aria-label"] = f"{label}: date"
            widgets[1].attrs["aria-label"] = f"{label}: time"
        return field


class SaysWhenReadersSeeIt:
    """After a save, say "scheduled for …" or "waiting for its issue" when that is the case."""

    def _say_visibility(self, request, obj):
        match obj.visibility:
            case Visibility.SCHEDULED:
                at = date_format(timezone.localtime(obj.published_at), "M j, Y H:i")
                self.message_user(request, f"“{obj}” is scheduled for {at}.", messages.INFO)
            case Visibility.WAITING:
                self.message_user(
                    request,
                    f"“{obj}” is published but waits for its issue “{obj.issue}”.",
                    messages.INFO,
                )

    def response_add(self, request, obj, *args, **kwargs):
        self._say_visibility(request, obj)
        return super().response_add(request, obj, *args, **kwargs)

    def response_change(self, request, obj, *args, **kwargs):
        self._say_visibility(request, obj)
        return super().response_change(request, obj, *args, **kwargs)


class SiteLinkMixin:
    def view_on_site(self, obj):
        # Relative, so the link follows the host the editor is on rather than the Site row.
        return obj.get_absolute_url()


def report(model_admin, request, result, *, noun: str, verb: str) -> None:
    """Tell the editor what a publish/unpublish action did, and what it refused to do.

    Publishing says what readers get: "now live", or "scheduled for …" (never "published"
    for an article nobody can read yet).
    """
    if verb != "published":
        model_admin.message_user(request, f"{result.changed} {noun}(s) {verb}.", messages.SUCCESS)
    elif result.live:
        model_admin.message_user(
            request, f"{result.live} {noun}(s) published: readers see them now.", messages.SUCCESS
        )
    for note in result.not_yet_public:
        model_admin.message_user(request, note, messages.SUCCESS)
    for problem in result.refused:
        model_admin.message_user(request, f"Not {verb}: {problem}", messages.ERROR)
