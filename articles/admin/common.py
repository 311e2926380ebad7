"""Helpers the journal admins share."""

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from articles import services
from articles.images import rendition
from articles.models import PreviewLink
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


def log_list_action(request, objects, message: str) -> None:
    """One admin log entry per object a list action changed: its history, and the
    dashboard's "Recent changes". Straight to the log: the admin's log_change would also
    start a second revision over the one the service recorded."""
    for obj in objects:
        LogEntry.objects.log_actions(
            user_id=request.user.pk,
            queryset=[obj],
            action_flag=CHANGE,
            change_message=message,
            single_object=True,
        )


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


class SharesDraftsMixin:
    """Share-draft links for issues and articles: the action, and the inline's rows."""

    def save_formset(self, request, form, formset, change):
        if formset.model is PreviewLink:
            for link in formset.save(commit=False):
                services.save_preview_link(link=link, user=request.user)
            revoked = [f.instance.pk for f in formset.forms if f.cleaned_data.get("revoke")]
            services.revoke_preview_links(links=PreviewLink.objects.filter(pk__in=revoked))
            return
        super().save_formset(request, form, formset, change)

    @admin.action(description="Share a draft: create a 7-day preview link")
    def share_draft(self, request, queryset):
        target = self.model._meta.model_name  # "article" or "issue"
        for obj in queryset:
            link = services.create_preview_link(**{target: obj}, user=request.user)
            until = date_format(timezone.localtime(link.expires_at), "M j, Y")
            log_list_action(request, [obj], f"Shared a draft from the list: a link until {until}")
            self.message_user(
                request,
                format_html(
                    "Preview of “{}” until {}: {}",
                    obj,
                    date_format(timezone.localtime(link.expires_at), "M j, Y"),
                    request.build_absolute_uri(link.get_absolute_url()),
                ),
                messages.SUCCESS,
            )


class PublishActionsMixin:
    """The publish and unpublish actions, the same for issues and articles."""

    @admin.action(description="Publish (now, or at the scheduled time)")
    def publish(self, request, queryset):
        self._report(request, services.publish(objects=queryset, user=request.user), "published")

    @admin.action(description="Unpublish (back to draft)")
    def unpublish(self, request, queryset):
        result = services.unpublish(objects=queryset, user=request.user)
        self._report(request, result, "unpublished")

    def _report(self, request, result, verb: str, where: str = "from the list") -> None:
        """Tell the editor what the action did, and what it refused to do; log each change
        (history, and the dashboard's recent changes)."""
        for obj in result.changed_objects:
            if verb != "published":
                entry = f"Unpublished (back to draft) {where}"
            elif obj.published_at and obj.published_at > timezone.now():
                stamp = date_format(timezone.localtime(obj.published_at), "M j, Y, H:i")
                entry = f"Scheduled {where}: goes live on {stamp}"
            else:
                entry = f"Published {where}"
            log_list_action(request, [obj], entry)
        # Publishing says what readers get: "readers see them now", or "scheduled for …"
        # (never "published" for something nobody can read yet).
        noun = self.model._meta.verbose_name
        if verb != "published":
            self.message_user(request, f"{result.changed} {noun}(s) {verb}.", messages.SUCCESS)
        elif result.live:
            message = f"{result.live} {noun}(s) published: readers see them now."
            self.message_user(request, message, messages.SUCCESS)
        for note in result.not_yet_public:
            self.message_user(request, note, messages.SUCCESS)
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
