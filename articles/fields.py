"""Model fields that clean what editors enter: rich text, DOIs and PubMed IDs."""

from django.db import models
from django_prose_editor.fields import ProseEditorField

from articles.references import normalize_doi, normalize_pmid
from articles.sanitizer import EDITOR_EXTENSIONS, sanitize_html
from articles.validators import validate_doi, validate_pmid


class RichTextField(ProseEditorField):
    """HTML edited with django-prose-editor and stored only after sanitize_html().

    Sanitizing happens in model validation (so forms see the stored value), in
    pre_save (save, bulk_create) and when preparing the value for the database
    (QuerySet.update, bulk_update), so no save path stores unsanitized HTML.
    It deconstructs to a TextField: the editor is not part of the schema.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("extensions", EDITOR_EXTENSIONS)
        kwargs["sanitize"] = sanitize_html
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        value = sanitize_html(getattr(model_instance, self.attname) or "")
        setattr(model_instance, self.attname, value)
        return value

    def get_db_prep_save(self, value, connection):
        if isinstance(value, str):
            value = sanitize_html(value)
        return super().get_db_prep_save(value, connection)


class DOIField(models.CharField):
    """A DOI, stored normalized however it was typed or pasted (prefix, trailing full stop)."""

    default_validators = [validate_doi]

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_doi(value) if value else value


class PMIDField(models.CharField):
    """A PubMed ID, stored as the bare number even when typed as "PMID: 34724978"."""

    default_validators = [validate_pmid]

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_pmid(value) if value else value
