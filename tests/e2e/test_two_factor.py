"""A subscription manager signs in with a password, is led to set up an authenticator app
or a passkey, and from then on signs in with a code or the passkey; the sign-in, lockout,
enrolment, passkey and code pages pass axe-core."""

import time
from base64 import b32decode

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group, User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.e2e.test_admin_accessibility import STOCK_DJANGO, WCAG_22_AA


@pytest.fixture
def manager(live_server, transactional_db, settings):
    settings.STAFF_2FA = "required"
    from django.apps import apps

    from jhop.permissions import sync_groups

    sync_groups(apps)
    user = User.objects.create_user("manager", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Subscription managers"))
    return live_server


def axe_violations(page) -> list[str]:
    page.wait_for_load_state("networkidle")
    results = Axe().run(page, context={"exclude": STOCK_DJANGO}, options=WCAG_22_AA)
    return [v["id"] for v in results.response["violations"]]


PASSWORD = "manager-pass-123"


def sign_in(page, url, password=PASSWORD):
    page.goto(url + "/admin/login/?next=/admin/subscriptions/subscriber/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", password)
    page.click("input[type=submit]")


def code(secret: str) -> str:
    totp = TOTP(b32decode(secret.replace(" ", "")), step=30, t0=0, digits=6, drift=0)
    totp.time = time.time()
    return f"{totp.token():06d}"


def test_enrol_then_sign_in_with_a_code(manager, page, screenshot):
    page.goto(manager.url + "/admin/login/")
    assert axe_violations(page) == []

    sign_in(page, manager.url)
    assert "/admin/two-factor/add/" in page.url
    assert "add a second factor" in page.locator(".messagelist").inner_text()
    assert page.locator("svg title").text_content() == "QR code for your authenticator app"
    assert axe_violations(page) == []
    screenshot("two-factor-enrol")
    secret = page.locator("figcaption code").inner_text()
    page.fill("#id_token", code(secret))
    page.click("input[type=submit]")
    page.wait_for_selector(".recovery-codes")  # the next page, not the one just left
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert axe_violations(page) == []
    page.click("text=I have kept them: go on")
    page.wait_for_url("**/admin/subscriptions/subscriber/")

    page.click("#logout-form button")
    sign_in(page, manager.url)
    assert "/admin/two-factor/verify/" in page.url
    assert axe_violations(page) == []
    # The enrolment used this 30-second step's code; a code is good once, so as if the
    # next step had come, the device forgets which it last accepted.
    TOTPDevice.objects.update(last_t=-1)
    page.fill("#id_token", code(secret))
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/subscriptions/subscriber/")


def test_the_lockout_page_says_how_long_and_passes_axe(manager, page):
    for _ in range(5):
        sign_in(page, manager.url, password="wrong")
    sign_in(page, manager.url)
    assert "Signing in is paused for 15 minutes" in page.locator("#content-main").inner_text()
    assert axe_violations(page) == []


def test_a_passkey_signs_in_confirms_a_dangerous_action_and_can_be_removed(manager, page, settings):
    from subscriptions.models import AuditEntry
    from tests.subscriptions.factories import make_subscriber

    make_subscriber(email="ada@example.org")
    # Chromium's virtual authenticator stands for a fingerprint reader (WebAuthn needs a
    # host name, not an IP address: the live server is reached as localhost).
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    url = manager.url.replace("127.0.0.1", "localhost")
    sign_in(page, url)
    assert "/admin/two-factor/add/" in page.url
    page.click("text=Use a passkey instead")
    assert axe_violations(page) == []
    page.fill("#id_name", "Work laptop")
    page.click("input[value='Add the passkey']")
    page.wait_for_selector(".recovery-codes")
    assert len(page.locator(".recovery-codes code").all_inner_texts()) == 10
    page.click("text=I have kept them: go on")
    page.wait_for_url("**/admin/subscriptions/subscriber/")

    page.click("#logout-form button")
    sign_in(page, url)
    assert "/admin/two-factor/verify/" in page.url
    assert axe_violations(page) == []
    page.click("input[value='Use a passkey']")
    page.wait_for_url("**/admin/subscriptions/subscriber/")
    assert "ada@example.org" in page.locator("#result_list").inner_text()

    # Sudo mode: the last check is now too old, and the passkey confirms it again.
    settings.SUDO_MINUTES = 0
    page.goto(url + "/admin/two-factor/")
    assert "Work laptop" in page.locator("table.passkeys").inner_text()
    assert axe_violations(page) == []
    page.click("button[aria-label='Remove the passkey “Work laptop”']")
    assert "sudo=1" in page.url
    settings.SUDO_MINUTES = 10
    page.click("input[value='Use a passkey']")
    page.wait_for_url("**/admin/two-factor/")
    page.click("button[aria-label='Remove the passkey “Work laptop”']")
    page.wait_for_selector(".messagelist")
    assert "no longer signs you in" in page.locator(".messagelist").inner_text()
    assert page.locator("table.passkeys").count() == 0
    assert list(AuditEntry.objects.order_by("pk").values_list("summary", flat=True)) == [
        "Added the passkey “Work laptop” of “manager”",
        "Removed the passkey “Work laptop” of “manager”",
    ]
