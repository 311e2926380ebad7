"""Nothing typed is lost: the article and issue forms autosave and offer to restore."""

import json

from django import forms
from django.conf import settings
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.http import HttpResponse, JsonResponse, QueryDict
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import time_format

from articles.models import Autosave

MAX_FIELDS = 5000


def _form_data(payload) -> dict[str, list[str]] | None:
    """The form fields of an autosave request ({"data": {name: [values]}}), or None."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or len(data) > MAX_FIELDS:
        return None
    for name, values in data.items():
        if len(name) > 200 or not isinstance(values, list):
            return None
        if not all(isinstance(v, str) for v in values):
            return None
    data.pop("csrfmiddlewaretoken", None)
    return data


class AutosavesMixin:
    """ModelAdmin mixin: a JSON endpoint the form posts its fields to every
    settings.AUTOSAVE_SECONDS of editing (into Autosave, never the object), a warning
    before leaving with unsaved changes, and "restore / discard" on the form."""

    change_form_template = "admin/articles/autosave_change_form.html"

    @property
    def media(self):
        return super().media + forms.Media(js=["js/admin/autosave.js"])

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_autosave"
        view = self.admin_site.admin_view(self.autosave_view)
        return [
            path("autosave/", view, name=name),
            path("<path:object_id>/autosave/", view, name=name),
            *super().get_urls(),
        ]

    def _autosaves(self, request, object_id: str):
        return Autosave.objects.filter(
            user=request.user,
            content_type=ContentType.objects.get_for_model(self.model),
            object_id=object_id,
        )

    def autosave_view(self, request, object_id=""):
        """POST {"data": {field: [values]}}: keep them; DELETE: discard them."""
        obj = None
        if object_id:
            obj = self.get_object(request, unquote(object_id))
            if obj is None:
                return JsonResponse({"error": "There is no such item."}, status=404)
            allowed = self.has_change_permission(request, obj)
        else:
            allowed = self.has_add_permission(request)
        if not allowed:
            return JsonResponse({"error": "You may not change this."}, status=403)
        key = str(obj.pk) if obj else ""
        if request.method == "DELETE":
            self._autosaves(request, key).delete()
            return HttpResponse(status=204)
        if request.method != "POST":
            return JsonResponse({"error": "POST the form's fields, or DELETE."}, status=405)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = settings.AUTOSAVE_MAX_BYTES + 1
        if length > settings.AUTOSAVE_MAX_BYTES:
            return JsonResponse({"error": "Too large to autosave."}, status=413)
        try:
            data = _form_data(json.loads(request.body))
        except ValueError:
            data = None
        if data is None:
            return JsonResponse({"error": 'Send {"data": {field: [values]}}.'}, status=400)
        saved, _ = Autosave.objects.update_or_create(
            user=request.user,
            content_type=ContentType.objects.get_for_model(self.model),
            object_id=key,
            defaults={"data": data},
        )
        at = timezone.localtime(saved.saved_at)
        return JsonResponse({"saved_at": at.isoformat(), "time": time_format(at, "H:i")})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        key = unquote(object_id) if object_id else ""
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_autosave"
        context = {
            "autosave_url": reverse(name, args=[object_id] if object_id else []),
            "autosave_seconds": settings.AUTOSAVE_SECONDS,
        }
        if request.method == "GET":
            saved = self._autosaves(request, key).first()
            context["autosave"] = saved
            context["autosave_restored"] = saved and request.GET.get("autosave") == "restore"
        return super().changeform_view(
            request, object_id, form_url, {**(extra_context or {}), **context}
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if request.method != "GET" or request.GET.get("autosave") != "restore":
            return form
        saved = self._autosaves(request, str(obj.pk) if obj else "").first()
        if saved is None:
            return form
        return _restoring(form, saved.data)

    def get_changeform_initial_data(self, request):
        # ?autosave=restore is not a field to fill in.
        initial = super().get_changeform_initial_data(request)
        initial.pop("autosave", None)
        return initial

    def response_add(self, request, obj, *args, **kwargs):
        self._autosaves(request, "").delete()
        return super().response_add(request, obj, *args, **kwargs)

    def response_change(self, request, obj, *args, **kwargs):
        self._autosaves(request, str(obj.pk)).delete()
        return super().response_change(request, obj, *args, **kwargs)


def _restoring(form_class, data: dict[str, list[str]]):
    """form_class, showing the autosaved values of its own fields (not the inline rows,
    nor files: a browser cannot be given a file back) when unbound."""
    posted = QueryDict(mutable=True)
    for name, values in data.items():
        posted.setlist(name, values)

    class Restored(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if self.is_bound:
                return
            for name, field in self.fields.items():
                widget, key = field.widget, self.add_prefix(name)
                if isinstance(field, forms.FileField):
                    continue
                if widget.value_omitted_from_data(posted, {}, key):
                    continue
                self.initial[name] = widget.value_from_datadict(posted, {}, key)

    return Restored
