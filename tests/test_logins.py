"""Staff sign-in is throttled: wrong passwords lock the account and the address, in the
database, whatever the cache does; a superuser can lift a lockout."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

PASSWORD = "right-horse-battery"


@pytest.fixture
def admin_user():
    return User.objects.create_superuser("admin", "admin@jhop.test", PASSWORD)


def sign_in(client, username, password, **headers):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        **headers,
    )


def signed_in(client) -> bool:
    return client.get(reverse("admin:index")).status_code == 200


def test_25_wrong_passwords_then_the_right_one_is_refused(admin_user):
    client = Client()
    answers = [sign_in(client, "admin", f"guess-{i}").status_code for i in range(25)]
    assert answers[:4] == [200] * 4  # the form again, "please enter the correct…"
    assert set(answers[4:]) == {429}
    refused = sign_in(client, "admin", PASSWORD)
    assert refused.status_code == 429
    assert "Signing in is paused for 15 minutes" in refused.text
    assert not signed_in(client)
    # Refusals during the lockout are not new lockouts: one episode recorded.
    assert AccessFailureLog.objects.filter(username="admin", locked_out=True).count() == 1


def test_the_account_is_locked_from_every_address(admin_user):
    for i in range(5):
        sign_in(Client(REMOTE_ADDR=f"198.51.100.{i}"), "admin", "wrong")
    elsewhere = Client(REMOTE_ADDR="203.0.113.50")
    assert sign_in(elsewhere, "admin", PASSWORD).status_code == 429
    assert not signed_in(elsewhere)


def test_the_address_is_locked_for_every_account(admin_user):
    User.objects.create_user("other", password=PASSWORD, is_staff=True)
    client = Client(REMOTE_ADDR="198.51.100.7")
    for i in range(5):
        sign_in(client, f"nobody-{i}", "wrong")
    assert sign_in(client, "admin", PASSWORD).status_code == 429
    # Another address signs in as usual.
    assert sign_in(Client(REMOTE_ADDR="198.51.100.8"), "admin", PASSWORD).status_code == 302


def test_failures_are_recorded_with_the_trusted_client_address(settings, admin_user):
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR="10.0.0.2")
    before = timezone.now()
    sign_in(client, "admin", "wrong", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.33")
    failure = AccessFailureLog.objects.get()
    assert (failure.username, failure.ip_address) == ("admin", "192.0.2.33")
    assert failure.attempt_time >= before
    assert not failure.locked_out


def test_the_lockout_ends_after_the_cool_off_and_doubles_on_a_repeat(admin_user):
    client = Client()
    for _ in range(5):
        sign_in(client, "admin", "wrong")
    assert sign_in(client, "admin", PASSWORD).status_code == 429

    # A quarter of an hour later the pause is over.
    sixteen_minutes_ago = timezone.now() - timedelta(minutes=16)
    AccessAttempt.objects.update(attempt_time=sixteen_minutes_ago)
    AccessFailureLog.objects.update(attempt_time=sixteen_minutes_ago)
    assert sign_in(client, "admin", PASSWORD).status_code == 302
    client.logout()

    # Locked out again within the day: twice as long.
    for _ in range(5):
        sign_in(client, "admin", "wrong")
    refused = sign_in(client, "admin", PASSWORD)
    assert "Signing in is paused for 30 minutes" in refused.text
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, "admin", PASSWORD).status_code == 429


def test_a_cache_outage_does_not_open_the_door(settings, admin_user):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    client = Client()
    for _ in range(5):
        sign_in(client, "admin", "wrong")
    assert sign_in(Client(), "admin", PASSWORD).status_code == 429


def test_a_superuser_lifts_a_lockout_from_the_admin(admin_user):
    User.objects.create_superuser("chief", "chief@jhop.test", PASSWORD)
    for _ in range(5):
        sign_in(Client(REMOTE_ADDR="198.51.100.9"), "admin", "wrong")
    chief = Client(REMOTE_ADDR="192.0.2.1")
    assert sign_in(chief, "chief", PASSWORD).status_code == 302
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert "198.51.100.9" in chief.get(changelist).text
    attempts = list(AccessAttempt.objects.filter(username="admin").values_list("pk", flat=True))
    answer = chief.post(
        changelist,
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )
    assert answer.status_code == 302
    assert sign_in(Client(REMOTE_ADDR="198.51.100.9"), "admin", PASSWORD).status_code == 302


@pytest.mark.parametrize("group", ["Editors", "Subscription managers"])
def test_staff_groups_do_not_see_the_sign_in_records(group):
    user = User.objects.create_user("staff", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
    assert client.get(reverse("admin:axes_accessfailurelog_changelist")).status_code == 403
