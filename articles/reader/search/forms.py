from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from articles.models import Section, Topic


class QuickSelect(forms.Select):
    """A single-choice select built in Python: Django's template-based widget renderer
    costs about 0.1 ms per option, and the search form has some eighty of them."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = self.format_value(value)
        chosen = chosen[0] if chosen else None
        options = []
        for option_value, label in self.choices:
            option_value = "" if option_value is None else str(option_value)
            selected = option_value == chosen
            if selected:
                chosen = None  # one option only, as Select marks the first match
            options.append(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    option_value,
                    " selected" if selected else "",
                    label,
                )
            )
        return format_html(
            '<select name="{}"{}>\n{}\n</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe("\n".join(options)),
        )


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search articles", required=False, max_length=200, widget=forms.SearchInput
    )
    topic = forms.ModelChoiceField(
        Topic.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="All topics",
        widget=QuickSelect,
    )
    section = forms.ModelChoiceField(
        Section.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="All sections",
        widget=QuickSelect,
    )
    year = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, widget=QuickSelect)
    type = forms.ChoiceField(
        label="Type of article",
        choices=[("", "Any type")]
        + [(kind, label.split(" (")[0]) for kind, label in Section.ContentKind.choices],
        required=False,
        widget=QuickSelect,
    )
    sort = forms.ChoiceField(
        label="Sort by",
        choices=[("", "Relevance"), ("date", "Newest first")],
        required=False,
        widget=QuickSelect,
    )

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "Any year")] + [(y, str(y)) for y in years]
