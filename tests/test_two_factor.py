"""A second factor for staff: required of those who can reach subscriber data, asked at
sign-in, and again before dangerous actions when the last check is stale."""

import time

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from jhop.twofactor import VERIFIED_AT
from subscriptions.models import AuditEntry, Subscriber
from tests.subscriptions.factories import lists, make_subscriber

pytestmark = pytest.mark.django_db

ADMIN = "/admin/"
SUBSCRIBERS = "/admin/subscriptions/subscriber/"


@pytest.fixture(autouse=True)
def _required(settings):
    settings.STAFF_2FA = "required"


def code(device, steps_ahead=0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def staff(group=None, **kw) -> User:
    user = User.objects.create_user(kw.pop("username", "staff"), password="pw", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    for name, value in kw.items():
        setattr(user, name, value)
    user.save()
    return user


def signed_in(user) -> Client:
    client = Client()
    assert (
        client.post(
            reverse("admin:login"), {"username": user.username, "password": "pw", "next": ADMIN}
        ).status_code
        == 302
    )
    return client


def enrolled(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    recovery = StaticDevice.objects.create(user=user, name="Recovery codes")
    recovery.token_set.create(token="recovery-one")
    return device


def verify(client, token, next_url=ADMIN):
    return client.post(reverse("jhop-2fa-verify"), {"token": token, "next": next_url})


def test_a_manager_enrols_before_reaching_any_admin_page():
    user = staff("Subscription managers")
    client = signed_in(user)
    for url in (ADMIN, SUBSCRIBERS):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("jhop-2fa-enrol"))

    page = client.get(reverse("jhop-2fa-enrol") + "?next=" + SUBSCRIBERS)
    assert "<svg" in page.text and "Key:" in page.text
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post(reverse("jhop-2fa-enrol"), {"token": "000000", "next": SUBSCRIBERS})
    assert "not the one the app shows" in wrong.text
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code makes the next wait a second

    done = client.post(reverse("jhop-2fa-enrol"), {"token": code(device), "next": SUBSCRIBERS})
    assert done.context["codes"] and len(done.context["codes"]) == 10
    assert StaticToken.objects.filter(device__user=user).count() == 10
    assert client.get(SUBSCRIBERS).status_code == 200
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PERMISSIONS)
    assert "Enrolled an authenticator app" in entry.summary


def test_superusers_must_enrol_too_but_editors_need_not():
    chief = staff(username="chief", is_superuser=True)
    assert signed_in(chief).get(ADMIN).status_code == 302
    editor = staff("Editors", username="editor")
    assert signed_in(editor).get(ADMIN).status_code == 200


def test_optional_mode_lets_staff_without_a_factor_in(settings):
    settings.STAFF_2FA = "optional"
    assert signed_in(staff(is_superuser=True)).get(SUBSCRIBERS).status_code == 200


def test_everyone_mode_asks_every_staff_user(settings):
    settings.STAFF_2FA = "everyone"
    assert signed_in(staff("Editors")).get(ADMIN).status_code == 302


def test_a_password_alone_does_not_reach_subscriber_data_once_enrolled(settings):
    settings.STAFF_2FA = "optional"  # whoever enrolled must use it, in every mode
    user = staff("Subscription managers")
    device = enrolled(user)
    client = signed_in(user)
    response = client.get(SUBSCRIBERS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("jhop-2fa-verify"))
    assert verify(client, "123 456").status_code == 400
    assert client.get(SUBSCRIBERS).status_code == 302
    device.throttle_reset()
    assert verify(client, code(device), SUBSCRIBERS)["Location"] == SUBSCRIBERS
    assert client.get(SUBSCRIBERS).status_code == 200


def test_a_recovery_code_works_once():
    user = staff("Subscription managers")
    enrolled(user)
    first = signed_in(user)
    assert verify(first, "RECOVERY-ONE").status_code == 302
    assert first.get(ADMIN).status_code == 200
    second = signed_in(user)
    assert verify(second, "recovery-one").status_code == 400
    assert second.get(ADMIN).status_code == 302


def test_wrong_codes_are_throttled():
    user = staff("Subscription managers")
    device = enrolled(user)
    client = signed_in(user)
    verify(client, "000000")
    # Right after a wrong code, even the right one waits (django-otp's back-off).
    refused = verify(client, code(device))
    assert refused.status_code == 400 and "wait a few seconds" in refused.text


def test_an_offsite_next_is_not_followed():
    user = staff("Subscription managers")
    device = enrolled(user)
    client = signed_in(user)
    assert verify(client, code(device), "https://evil.example/")["Location"] == ADMIN


def test_a_stale_check_is_asked_again_before_an_export_or_an_erasure():
    _, print_edition = lists()
    subscriber = make_subscriber(lists=[print_edition])
    user = staff("Subscription managers")
    device = enrolled(user)
    client = signed_in(user)
    verify(client, code(device))
    export = reverse("admin:subscriptions_export_print")
    assert client.get(export).status_code == 200  # fresh: just checked

    session = client.session
    session[VERIFIED_AT] = time.time() - 11 * 60
    session.save()
    response = client.get(export)
    assert response.status_code == 302 and "sudo=1" in response["Location"]
    erase = reverse("admin:subscriptions_subscriber_erase", args=[subscriber.pk])
    assert client.get(erase).status_code == 200  # the page itself only asks
    assert client.post(erase).status_code == 302
    assert Subscriber.objects.get().erased_at is None

    assert verify(client, code(device, steps_ahead=1), export)["Location"] == export
    assert client.get(export).status_code == 200
    client.post(erase)
    assert Subscriber.objects.get().erased_at is not None


def test_a_superuser_resets_a_lost_factor_and_the_user_enrols_again():
    chief = staff(username="chief", is_superuser=True)
    enrolled(chief)
    chief_client = signed_in(chief)
    verify(chief_client, "recovery-one")
    user = staff("Subscription managers", username="lost-phone")
    enrolled(user)
    lost_key = passkey(user)
    their_session = signed_in(user)
    chief_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [user.pk]},
    )
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    assert not type(lost_key).objects.filter(pk=lost_key.pk).exists()
    assert their_session.get(ADMIN)["Location"].startswith(reverse("admin:login"))
    entry = AuditEntry.objects.get(summary__contains="Reset the second factor")
    assert entry.actor == chief
    # At the next sign-in they are led to enrol.
    assert signed_in(user).get(ADMIN)["Location"].startswith(reverse("jhop-2fa-enrol"))


def test_enrolling_ends_the_other_sessions():
    user = staff("Subscription managers")
    here, elsewhere = signed_in(user), signed_in(user)
    here.get(reverse("jhop-2fa-enrol"))
    device = TOTPDevice.objects.get(user=user)
    here.post(reverse("jhop-2fa-enrol"), {"token": code(device)})
    assert here.get(ADMIN).status_code == 200
    assert elsewhere.get(ADMIN)["Location"].startswith(reverse("admin:login"))


def test_the_overview_and_new_recovery_codes_need_a_fresh_check():
    user = staff("Subscription managers")
    device = enrolled(user)
    client = signed_in(user)
    verify(client, code(device))
    page = client.get(reverse("jhop-2fa"))
    assert "You have 1 unused recovery code left" in page.text
    session = client.session
    session[VERIFIED_AT] = time.time() - 11 * 60
    session.save()
    stale = client.post(reverse("jhop-2fa-recovery-codes"))
    assert "sudo=1" in stale["Location"]
    assert list(StaticToken.objects.values_list("token", flat=True)) == ["recovery-one"]
    verify(client, "recovery-one", reverse("jhop-2fa"))
    fresh = client.post(reverse("jhop-2fa-recovery-codes"))
    assert len(fresh.context["codes"]) == 10
    assert StaticToken.objects.count() == 10


@pytest.mark.django_db(transaction=True)
def test_a_code_is_checked_in_a_transaction_of_its_own():
    """As in production (no test transaction around the request): the devices are locked
    while a code is checked, which PostgreSQL allows only inside a transaction."""
    chief = staff(username="chief", is_superuser=True)
    device = enrolled(chief)
    client = signed_in(chief)
    assert verify(client, code(device))["Location"] == ADMIN
    assert client.get(ADMIN).status_code == 200


def passkey(user, name="Work laptop"):
    from webauthn.helpers import bytes_to_base64url

    from jhop.models import Passkey

    return Passkey.objects.create(
        user=user,
        name=name,
        confirmed=True,
        credential_id=bytes_to_base64url(f"cred-{name}".encode()),
        public_key=b"k",
    )


def test_a_bad_or_unasked_passkey_answer_is_refused_and_adds_nothing():
    from jhop.models import Passkey

    client = signed_in(staff())
    add = reverse("jhop-2fa-passkey-add")
    unasked = client.post(add, {"name": "Laptop", "credential": '{"id": "x"}'})
    assert unasked.status_code == 400
    assert "has expired" in unasked.content.decode()
    assert b'id="passkey-options"' in client.get(add).content  # the challenge is issued
    for credential in ("", "not json", '{"id": "x", "response": {}}'):
        response = client.post(add, {"name": "Laptop", "credential": credential})
        assert response.status_code == 400
        assert "not a valid new passkey" in response.content.decode()
        client.get(add)
    assert not Passkey.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_forged_passkey_signature_does_not_verify():
    user = staff("Subscription managers")
    passkey(user)
    client = signed_in(user)
    page = client.get(reverse("jhop-2fa-verify"), {"next": SUBSCRIBERS})
    assert b'value="Use a passkey"' in page.content
    forged = (
        '{"id": "Y3JlZC1Xb3JrIGxhcHRvcA", "rawId": "Y3JlZC1Xb3JrIGxhcHRvcA", "type":'
        ' "public-key", "response": {"clientDataJSON": "e30", "authenticatorData": "AAAA",'
        ' "signature": "AAAA"}}'
    )
    response = client.post(reverse("jhop-2fa-verify"), {"credential": forged})
    assert response.status_code == 400
    assert "signature did not check out" in response.content.decode()
    response = client.post(reverse("jhop-2fa-verify"), {"credential": "not json"})
    assert response.status_code == 400
    assert "not a passkey signature" in response.content.decode()
    assert client.get(SUBSCRIBERS).status_code == 302  # still not verified


def test_removing_a_passkey_needs_a_fresh_check_and_only_ones_own():
    from jhop.models import Passkey

    user = staff()
    mine = passkey(user)
    theirs = passkey(staff(username="other"), name="Theirs")
    client = signed_in(user)
    # Verified by the authenticator app a quarter of an hour ago: too long for sudo mode.
    device = enrolled(user)
    verify(client, code(device))
    session = client.session
    session[VERIFIED_AT] = time.time() - 15 * 60
    session.save()
    remove = reverse("jhop-2fa-passkey-remove", args=[mine.pk])
    response = client.post(remove)
    assert response.status_code == 302 and "sudo=1" in response["Location"]
    assert client.post(reverse("jhop-2fa-passkey-remove", args=[theirs.pk])).status_code == 404
    session = client.session
    session[VERIFIED_AT] = time.time()
    session.save()
    assert client.post(remove).status_code == 302
    assert list(Passkey.objects.values_list("name", flat=True)) == ["Theirs"]
    assert AuditEntry.objects.get().summary == "Removed the passkey “Work laptop” of “staff”"
