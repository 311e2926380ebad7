"""Compare two versions from an article's or an issue's history, side by side.

The body is compared as text, word by word, and everything is shown escaped: stored HTML
never reaches the page as markup. Other fields are listed when they differ; an article's
authors, topics, references and related items (stored in the same revision) line by line.
"""

import difflib
import re
from dataclasses import dataclass
from html import unescape

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import strip_tags
from reversion.models import Version

from articles.models import (
    Article,
    ArticleTopic,
    Author,
    Authorship,
    Reference,
    RelatedItem,
    Topic,
)

BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|blockquote|div|tr|figcaption)>|<br\s*/?>", re.I)
# Fields compared as running text, word by word.
TEXT_FIELDS = {"body", "standfirst", "description"}
# Copies and bookkeeping, not what an editor wrote.
SKIPPED = {"body_html", "updated_at", "record_modified_at", "export_checked_at"}


def html_text(html: str) -> str:
    """What a reader reads in stored HTML, one block a line."""
    return unescape(strip_tags(BLOCK_END.sub("\n", html or ""))).strip()


@dataclass
class Segment:
    kind: str  # "same", "removed" or "added"
    text: str


def word_diff(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    """The old and the new text as segments: what both share, and what only one has."""
    a, b = old.split(), new.split()
    left: list[Segment] = []
    right: list[Segment] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(Segment("same", " ".join(a[i1:i2])))
            right.append(Segment("same", " ".join(b[j1:j2])))
            continue
        if i2 > i1:
            left.append(Segment("removed", " ".join(a[i1:i2])))
        if j2 > j1:
            right.append(Segment("added", " ".join(b[j1:j2])))
    return left, right


@dataclass
class FieldChange:
    label: str
    old: str = ""
    new: str = ""
    old_segments: list[Segment] | None = None
    new_segments: list[Segment] | None = None


def _shown(field, value) -> str:
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        target = field.related_model._default_manager.filter(pk=value).first()
        return str(target) if target is not None else f"(deleted, #{value})"
    return str(value)


def field_changes(model, old: dict, new: dict) -> list[FieldChange]:
    changes = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in SKIPPED:
            continue
        before, after = old.get(field.attname), new.get(field.attname)
        if before == after:
            continue
        label = str(field.verbose_name).capitalize()
        if field.name in TEXT_FIELDS:
            left, right = word_diff(html_text(before or ""), html_text(after or ""))
            changes.append(FieldChange(label, old_segments=left, new_segments=right))
        else:
            changes.append(FieldChange(label, _shown(field, before), _shown(field, after)))
    return changes


def _names(model, ids) -> dict:
    return {o.pk: str(o) for o in model._default_manager.filter(pk__in=ids)}


def article_children(version: Version) -> dict[str, list[str]]:
    """The rows an article's version holds with it, as lines, per kind."""
    rows: dict[type, list[dict]] = {}
    for child in version.revision.version_set.all():
        model = child._model
        if model in (Authorship, ArticleTopic, Reference, RelatedItem):
            data = child.field_dict
            if data.get("article_id") == int(version.object_id):
                rows.setdefault(model, []).append(data)
    ordered = {m: sorted(r, key=lambda d: d.get("position") or 0) for m, r in rows.items()}
    authorships, topic_links = ordered.get(Authorship, []), ordered.get(ArticleTopic, [])
    references, related_links = ordered.get(Reference, []), ordered.get(RelatedItem, [])
    authors = _names(Author, [d["author_id"] for d in authorships])
    topics = _names(Topic, [d["topic_id"] for d in topic_links])
    related = _names(Article, [d["related_id"] for d in related_links])
    return {
        "Authors": [authors.get(d["author_id"], "(deleted)") for d in authorships],
        "Topics": [topics.get(d["topic_id"], "(deleted)") for d in topic_links],
        "References": [f"{d['position']}. {d['citation']}" for d in references],
        "Related items": [related.get(d["related_id"], "(deleted)") for d in related_links],
    }


def line_changes(old: dict[str, list[str]], new: dict[str, list[str]]) -> list[FieldChange]:
    changes = []
    for label in old:
        if old[label] != new[label]:
            changes.append(FieldChange(label, "\n".join(old[label]), "\n".join(new[label])))
    return changes


class ComparesVersions:
    """Admin mixin: "Compare" on the history page, and the comparison page."""

    object_history_template = "admin/articles/object_history.html"

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}_compare"
        view = self.admin_site.admin_view(self.compare_view)
        return [path("<int:object_id>/history/compare/", view, name=name), *super().get_urls()]

    def compare_view(self, request, object_id):
        obj = self.get_object(request, str(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        try:
            first, second = int(request.GET["from"]), int(request.GET["to"])
        except (KeyError, ValueError):
            return HttpResponseBadRequest("Choose two versions to compare.")
        versions = Version.objects.get_for_object(obj).select_related("revision__user")
        found = {v.revision_id: v for v in versions.filter(revision_id__in=[first, second])}
        if first not in found or second not in found:
            raise Http404("No such version of this object.")
        old, new = sorted([found[first], found[second]], key=lambda v: v.revision.date_created)
        changes = field_changes(self.model, old.field_dict, new.field_dict)
        if self.model is Article:
            changes += line_changes(article_children(old), article_children(new))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "object": obj,
            "title": f"Compare versions of “{obj}”",
            "old": old,
            "new": new,
            "changes": changes,
        }
        return TemplateResponse(request, "admin/articles/compare_versions.html", context)
