"""Staff sessions end when idle, when old, everywhere on request, and on a password change."""

import time

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from jhop.sessions import SEEN_AT, SIGNED_IN_AT
from subscriptions.models import AuditEntry

pytestmark = pytest.mark.django_db

ADMIN = "/admin/"


@pytest.fixture
def user():
    return User.objects.create_superuser("chief", "chief@example.org", "old-password-1")


def signed_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def backdate(client, **seconds_ago) -> None:
    session = client.session
    now = time.time()
    for key, ago in seconds_ago.items():
        session[{"signed_in": SIGNED_IN_AT, "seen": SEEN_AT}[key]] = now - ago
    session.save()


def test_an_active_session_goes_on_and_is_stamped(user):
    client = signed_in_client(user)
    backdate(client, seen=119 * 60)
    assert client.get(ADMIN).status_code == 200
    assert time.time() - client.session[SEEN_AT] < 5


def test_two_idle_hours_end_the_session(user):
    client = signed_in_client(user)
    backdate(client, seen=121 * 60)
    response = client.get(ADMIN + "articles/", follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("admin:login"))
    assert "signed out after 120 minutes without activity" in response.text
    assert client.get(ADMIN).status_code == 302


def test_twelve_hours_end_the_session_however_active(user):
    client = signed_in_client(user)
    backdate(client, signed_in=12 * 3600 + 60, seen=10)
    assert client.get(ADMIN).status_code == 302
    assert client.get(ADMIN).status_code == 302  # and it stays ended


def test_sign_out_everywhere_ends_every_session_of_that_user_only(user):
    laptop, phone = signed_in_client(user), signed_in_client(user)
    other = signed_in_client(User.objects.create_superuser("other", "o@example.org", "pw"))
    url = reverse("admin:auth_user_sign_out_everywhere")
    assert phone.get(url).status_code == 405
    assert phone.post(url).status_code == 302
    assert laptop.get(ADMIN).status_code == 302
    assert phone.get(ADMIN).status_code == 302
    assert other.get(ADMIN).status_code == 200
    # Signing in again works.
    assert signed_in_client(user).get(ADMIN).status_code == 200


def test_a_superuser_signs_someone_out_everywhere_and_it_is_audited(user):
    victim = User.objects.create_user("lost-laptop", password="pw", is_staff=True)
    their_session = signed_in_client(victim)
    chief = signed_in_client(user)
    chief.post(
        reverse("admin:auth_user_changelist"),
        {"action": "end_sessions", "_selected_action": [victim.pk]},
    )
    assert their_session.get(ADMIN).status_code == 302
    entry = AuditEntry.objects.get()
    assert entry.actor == user and "lost-laptop" in entry.summary


def test_a_password_change_ends_the_other_sessions(user):
    here, elsewhere = signed_in_client(user), signed_in_client(user)
    response = here.post(
        reverse("admin:password_change"),
        {
            "old_password": "old-password-1",
            "new_password1": "a-new-Password-2",
            "new_password2": "a-new-Password-2",
        },
    )
    assert response.status_code == 302
    assert here.get(ADMIN).status_code == 200
    assert elsewhere.get(ADMIN).status_code == 302


def test_the_header_offers_sign_out_everywhere(user):
    page = signed_in_client(user).get(ADMIN)
    assert 'action="/admin/auth/user/sign-out-everywhere/"' in page.text
