"""Uploads survive a form that comes back with errors.

A browser cannot refill a file input, so after any validation error (on the article,
or on a reference below it) the chosen image would have to be chosen again. Instead,
each valid upload is kept in storage under pending-uploads/ and the redisplayed form
carries a signed token for it; sending the form again without a new file uses the kept
one. The copy is deleted once the object is saved; `manage.py purge_kept_uploads` deletes
those of abandoned forms.
"""

import mimetypes
import posixpath
import secrets
from datetime import timedelta

from django import forms
from django.contrib.admin.widgets import AdminFileWidget
from django.core import signing
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils import timezone
from django.utils.html import format_html

SALT = "articles.pending-upload"
MAX_AGE = 24 * 60 * 60
FOLDER = "pending-uploads"


def pending_name(name: str) -> str:
    return f"{name}__pending"


class KeptFileWidget(AdminFileWidget):
    """The admin's file input, plus the upload kept from the previous try, if any."""

    kept: tuple[str, str] | None = None  # (token, file name)

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        if not self.kept:
            return html
        token, filename = self.kept
        return html + format_html(
            '<input type="hidden" name="{}" value="{}">'
            '<p class="help kept-upload">Kept from your last try: <strong>{}</strong>. '
            "It is saved with the form; choose another file to replace it.</p>",
            pending_name(name),
            token,
            filename,
        )


class KeepsUploads:
    """Mixin for admin ModelForms with file or image fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kept_paths: list[str] = []
        for field in self.fields.values():
            if isinstance(field, forms.FileField):
                field.widget = self._kept_widget(field.widget)
        if self.is_bound:
            self._restore_kept_uploads()

    @staticmethod
    def _kept_widget(widget):
        kept = KeptFileWidget(attrs=widget.attrs)
        kept.is_required = widget.is_required
        return kept

    def _file_fields(self):
        return [n for n, f in self.fields.items() if isinstance(f, forms.FileField)]

    def _restore_kept_uploads(self):
        files = self.files.copy()
        for name in self._file_fields():
            key = self.add_prefix(name)
            token = self.data.get(pending_name(key))
            cleared = self.data.get(f"{key}-clear")
            if files.get(key) or not token or cleared:
                continue
            try:
                path = signing.loads(token, salt=SALT, max_age=MAX_AGE)
            except signing.BadSignature:
                continue
            if not path.startswith(f"{FOLDER}/") or not default_storage.exists(path):
                continue
            with default_storage.open(path, "rb") as kept:
                content = kept.read()
            filename = posixpath.basename(path)
            content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            files[key] = SimpleUploadedFile(filename, content, content_type)
            self.kept_paths.append(path)
        self.files = files

    def _post_clean(self):
        # After the model's own validators (image size and type): only a file that
        # passed them is kept.
        super()._post_clean()
        for name in self._file_fields():
            upload = self.cleaned_data.get(name)
            if not isinstance(upload, UploadedFile) or name in self.errors:
                continue
            path = next((p for p in self.kept_paths if posixpath.basename(p) == upload.name), None)
            if path is None:
                filename = posixpath.basename(upload.name)
                path = default_storage.save(f"{FOLDER}/{secrets.token_hex(8)}/{filename}", upload)
                upload.seek(0)
                self.kept_paths.append(path)
            self.fields[name].widget.kept = (
                signing.dumps(path, salt=SALT),
                posixpath.basename(path),
            )

    def discard_kept_uploads(self) -> None:
        """Delete the kept copies: the object has been saved with its files."""
        for path in self.kept_paths:
            default_storage.delete(path)
        self.kept_paths = []


def purge_kept_uploads(*, older_than: timedelta, dry_run: bool = False) -> int:
    """Delete kept uploads nobody came back for (the form was abandoned). Returns how many."""
    cutoff = timezone.now() - older_than
    count = 0
    try:
        folders, _ = default_storage.listdir(FOLDER)
    except FileNotFoundError:
        return 0
    for folder in folders:
        for name in default_storage.listdir(f"{FOLDER}/{folder}")[1]:
            path = f"{FOLDER}/{folder}/{name}"
            if default_storage.get_modified_time(path) < cutoff:
                count += 1
                if not dry_run:
                    default_storage.delete(path)
    return count


class KeepsUploadsAdmin:
    """ModelAdmin mixin: forms keep uploads across errors, and tidy up once saved."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if isinstance(form, KeepsUploads):
            form.discard_kept_uploads()
