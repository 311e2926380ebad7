from django.template import Context, Template
from django.test import RequestFactory
from lxml import html

from subscriptions.models import MailingList


def render_box(rf_request=None):
    request = rf_request or RequestFactory().get("/articles/x/")
    return Template("{% load subscriptions_tags %}{% subscribe_box %}").render(
        Context({"request": request, "csrf_token": "tok"})
    )


def test_box_shows_the_seed_text_and_one_checkbox_per_active_list(db):
    MailingList.objects.create(name="Retired list", slug="retired", is_active=False)
    doc = html.fromstring(render_box())
    assert doc.xpath("//h2")[0].text_content() == "Subscribe Today!"
    text = doc.text_content()
    assert (
        "To sign up for our newsletter or print publications, please enter your contact "
        "information below." in text
    )
    assert "I'd like to receive:" in doc.xpath("//legend")[0].text_content()
    labels = [label.text_content() for label in doc.xpath("//fieldset[1]//label")]
    assert labels == ["JHOP e-Newsletter", "JHOP Print Edition"]
    form = doc.xpath("//form")[0]
    assert form.get("action") == "/subscribe/" and form.get("method") == "post"
    # Nothing per visitor: no CSRF token, no time-on-form stamp (subscribe.js fetches one).
    assert doc.xpath("//input[@name='csrfmiddlewaretoken']") == []
    assert doc.xpath("//input[@name='started']/@value") == []
    assert form.get("data-stamp-url") == "/subscribe/stamp/"
    assert doc.xpath("//input[@name='source']/@value") == ["/articles/x/"]


def test_every_box_input_has_a_label(db):
    doc = html.fromstring(render_box())
    ids = {label.get("for") for label in doc.xpath("//label")}
    for field in doc.xpath("//input[not(@type='hidden')] | //select"):
        assert field.get("id") in ids, field.get("name")


def test_print_checkbox_is_marked_and_address_fields_are_in_the_html(db):
    doc = html.fromstring(render_box())
    marked = doc.xpath("//input[@data-needs-address]/following-sibling::label")
    assert [label.text_content() for label in marked] == ["JHOP Print Edition"]
    address = doc.xpath("//*[@data-address-fields]")[0]
    assert address.get("hidden") is None  # shown without JavaScript
    assert {"address_line1", "city", "postal_code", "country"} <= {
        e.get("name") for e in address.xpath(".//input | .//select")
    }
    assert doc.xpath("//script/@src") == ["/static/js/subscribe.js"]


def test_box_costs_at_most_one_query_and_none_once_cached(db, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        render_box()
    with django_assert_max_num_queries(0):
        render_box()


def test_changing_a_list_updates_the_box(db):
    render_box()
    MailingList.objects.filter(slug="jhop-print-edition").get().delete()
    assert "JHOP Print Edition" not in render_box()
    MailingList.objects.create(name="Oncology Pharmacy Digest", slug="digest")
    assert "Oncology Pharmacy Digest" in render_box()


def test_changing_a_list_makes_cached_pages_stale(db):
    from articles.derived.pagecache import content_version

    before = content_version()
    MailingList.objects.filter(slug="jhop-print-edition").update(name="Renamed")
    MailingList.objects.get(slug="jhop-print-edition").save()
    assert content_version() != before


def test_the_box_is_rendered_once_per_offer_and_follows_changes(db, monkeypatch):
    from subscriptions.templatetags import subscriptions_tags

    rendered = []
    real = subscriptions_tags.render_to_string
    monkeypatch.setattr(
        subscriptions_tags,
        "render_to_string",
        lambda *a, **kw: rendered.append(1) or real(*a, **kw),
    )
    subscriptions_tags._rendered.clear()
    first = render_box(RequestFactory().get("/articles/one/"))
    second = render_box(RequestFactory().get("/articles/two/?a=1&b=2"))
    assert len(rendered) == 1
    # Each page still gets its own address, escaped.
    assert html.fromstring(first).xpath("//input[@name='source']/@value") == ["/articles/one/"]
    assert 'value="/articles/two/?a=1&amp;b=2"' in second
    # An editor renames a list: the next page shows it.
    newsletter = MailingList.objects.get(slug="jhop-e-newsletter")
    newsletter.name = "JHOP Weekly"
    newsletter.save()
    labels = html.fromstring(render_box()).xpath("//fieldset[1]//label")
    assert labels[0].text_content() == "JHOP Weekly"
    assert len(rendered) == 2
