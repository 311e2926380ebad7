"""Shared-draft links: created and revoked by editors, opened by guests."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.utils.html import format_html

from articles import services
from articles.admin.common import log_list_action
from articles.models import PreviewLink


def full_link(link: PreviewLink) -> str:
    # In full, with the site's address: editors copy it into an email to a guest.
    url = settings.SITE_URL + link.get_absolute_url()
    return format_html('<a href="{0}">{0}</a>', url)


class PreviewLinkForm(forms.ModelForm):
    revoke = forms.BooleanField(required=False, help_text="Stop this link working now.")

    class Meta:
        model = PreviewLink
        fields = ["note", "expires_at"]


class PreviewLinkInline(admin.TabularInline):
    model = PreviewLink
    form = PreviewLinkForm
    fields = ["link", "note", "expires_at", "state", "created_by", "revoke"]
    readonly_fields = ["link", "state", "created_by"]
    extra = 0
    can_delete = False
    verbose_name = "shared draft link"
    verbose_name_plural = "share a draft: links that show this article without a login"
    fk_name = "article"

    @admin.display(description="link")
    def link(self, obj):
        if not obj.pk:
            return "Saved with the form"
        return full_link(obj)

    @admin.display(description="state")
    def state(self, obj):
        if not obj.pk:
            return ""
        if obj.revoked_at:
            return "Revoked"
        return "Active" if obj.is_active else "Expired"


class IssuePreviewLinkInline(PreviewLinkInline):
    fk_name = "issue"
    verbose_name_plural = "share a draft: links that show this issue's contents without a login"


@admin.register(PreviewLink)
class PreviewLinkAdmin(admin.ModelAdmin):
    list_display = ["target", "note", "created_by", "created_at", "expires_at", "state", "link"]
    list_filter = ["expires_at", "revoked_at"]
    list_select_related = ["article", "issue__journal", "created_by"]
    search_fields = ["article__title", "issue__title", "note"]
    autocomplete_fields = ["article", "issue"]
    fields = ["article", "issue", "note", "expires_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        services.save_preview_link(link=obj, user=request.user)

    @admin.display(description="shows")
    def target(self, obj):
        return obj.target

    @admin.display(description="state")
    def state(self, obj):
        if obj.revoked_at:
            return "Revoked"
        return "Active" if obj.is_active else "Expired"

    @admin.display(description="link")
    def link(self, obj):
        return full_link(obj)

    @admin.action(description="Revoke: stop the links working now")
    def revoke(self, request, queryset):
        active = list(queryset.filter(revoked_at__isnull=True))
        count = services.revoke_preview_links(links=queryset)
        log_list_action(request, active, "Revoked from the list")
        self.message_user(request, f"{count} link(s) revoked.", messages.SUCCESS)
