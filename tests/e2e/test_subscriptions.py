import re

from django.core import mail
from playwright.sync_api import expect

from subscriptions.models import Subscriber
from tests.subscriptions.factories import ensure_defaults


def link_from(message, name):
    match = re.search(rf"(http://\S+/subscribe/{name}/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def assert_accessible(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def statuses(subscriber):
    return dict(subscriber.subscriptions.values_list("mailing_list__name", "status"))


def test_subscribe_confirm_change_preferences_and_unsubscribe(
    live_server, page, screenshot, settings
):
    ensure_defaults()
    settings.SITE_URL = live_server.url
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 0
    mail.outbox.clear()

    page.goto(live_server.url + "/subscribe/")
    address = page.locator("fieldset[data-address-fields]")
    assert address.is_hidden()
    page.get_by_label("Email").fill("grace@example.org")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Profession").select_option("pharmacist")
    page.get_by_label("JHOP e-Newsletter").check()
    assert address.is_hidden()
    page.get_by_label("JHOP Print Edition").check()
    assert address.is_visible()
    page.get_by_label("Address line 1").fill("10 Harbor Road")
    page.get_by_label("City").fill("Arlington")
    page.get_by_label("State / region").fill("VA")
    page.get_by_label("ZIP / postal code").fill("22201")
    page.get_by_label("Country").select_option("US")
    screenshot("subscribe-form-filled")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/subscribe/thanks/")
    assert page.get_by_role("heading", level=1).inner_text() == "Check your inbox"

    subscriber = Subscriber.objects.get(email="grace@example.org")
    assert set(statuses(subscriber).values()) == {"pending"}
    assert len(mail.outbox) == 1
    page.goto(link_from(mail.outbox[0], "confirm"))
    assert set(statuses(subscriber).values()) == {"pending"}  # opening the link is not enough
    assert_accessible(page)
    page.get_by_role("button", name="Confirm my subscription").click()
    assert "confirmed" in page.get_by_role("heading", level=1).inner_text()
    assert set(statuses(subscriber).values()) == {"active"}
    screenshot("subscribe-confirmed")

    page.get_by_role("link", name="Change your preferences or address").click()
    assert page.get_by_label("City").input_value() == "Arlington"
    assert_accessible(page)
    page.get_by_label("JHOP Print Edition").uncheck()
    assert page.locator("fieldset[data-address-fields]").is_hidden()
    page.get_by_label("Profession").select_option("physician")
    page.get_by_role("button", name="Save my preferences").click()
    page.get_by_text("Your preferences are saved.").wait_for()
    subscriber.refresh_from_db()
    assert subscriber.profession == "physician"
    assert statuses(subscriber) == {
        "JHOP e-Newsletter": "active",
        "JHOP Print Edition": "unsubscribed",
    }
    screenshot("subscribe-preferences")

    page.get_by_role("button", name="Unsubscribe from everything").click()
    assert page.get_by_role("heading", level=1).inner_text() == "You are unsubscribed"
    assert set(statuses(subscriber).values()) == {"unsubscribed"}
    assert "unsubscribed" in mail.outbox[-1].subject
    screenshot("subscribe-unsubscribed")


def test_signup_errors_are_announced_and_the_page_passes_axe(live_server, page, settings):
    ensure_defaults()
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 0
    page.goto(live_server.url + "/subscribe/")
    assert_accessible(page)
    page.get_by_label("Email").fill("grace@example.org")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Profession").select_option("nurse")
    page.get_by_label("JHOP Print Edition").check()
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("alert").first.wait_for()
    city = page.get_by_label("City")
    assert city.is_visible()  # print still ticked: the address stays open to fix
    assert city.get_attribute("aria-invalid") == "true"
    described = page.locator("#" + city.get_attribute("aria-describedby"))
    assert described.inner_text() == "Needed to mail you the print edition."
    assert_accessible(page)
    assert not Subscriber.objects.exists()


def test_the_box_on_the_home_page_signs_up_from_a_cached_page(live_server, browser, settings):
    """The box is in pages cached for anonymous readers: two people in turn get one cached
    copy (no token, no stamp in it), each gets a time-on-form stamp of their own when they
    start filling it in, and each one's signup passes the Origin check and records the page
    it came from."""
    from subscriptions.models import ConsentEvent

    ensure_defaults()
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 0
    stamps = []
    for n, email in enumerate(["first@example.org", "second@example.org"]):
        context = browser.new_context()  # a different person: no shared cookies
        page = context.new_page()
        page.goto(live_server.url + "/")
        box = page.locator("section.subscribe-box")
        address = box.locator("fieldset[data-address-fields]")
        assert address.is_hidden()
        stamp = box.locator("input[name=started]")
        assert stamp.input_value() == ""
        box.get_by_label("Email").fill(email)
        expect(stamp).not_to_have_value("")  # fetched from /subscribe/stamp/
        stamps.append(stamp.input_value())
        box.get_by_label("First name").fill("Rosalind")
        box.get_by_label("Last name").fill("Franklin")
        box.get_by_label("Profession").select_option("researcher")
        box.get_by_label("JHOP Print Edition").check()
        assert address.is_visible()
        box.get_by_label("Address line 1").fill("1 King's Parade")
        box.get_by_label("City").fill("Cambridge")
        box.get_by_label("ZIP / postal code").fill("CB2 1TN")
        box.get_by_label("Country").select_option("GB")
        box.get_by_role("button", name="Subscribe").click()
        page.wait_for_url("**/subscribe/thanks/")
        context.close()
        assert Subscriber.objects.count() == n + 1
    sources = set(ConsentEvent.objects.values_list("source_url", flat=True))
    assert sources == {live_server.url + "/"}
    assert stamps[0] != stamps[1]
