"""Helpers the journal admins share."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.formats import date_format
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
