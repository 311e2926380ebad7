"""Erased addresses are remembered under a keyed hash that survives a SECRET_KEY rotation."""

import csv
import hashlib
import io

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from subscriptions import exports, services
from subscriptions.exports import read_csv
from subscriptions.models import Subscriber, Suppression
from subscriptions.services import RequestMeta

from .factories import lists, make_subscriber

pytestmark = pytest.mark.django_db

IMPORT_HEADER = "email,first_name,last_name,lists\n"


def erase(email: str) -> Suppression:
    services.erase_subscriber(subscriber=make_subscriber(email=email), meta=RequestMeta())
    return Suppression.objects.get()


def import_one(email: str):
    rows = read_csv(f"{IMPORT_HEADER}{email},A,B,jhop-e-newsletter\n")
    return services.import_subscribers(rows=rows, source="sheet", dry_run=False, meta=RequestMeta())


def test_the_stored_hash_is_keyed_not_a_plain_sha256(settings):
    lists()
    suppression = erase("Gone@Example.com")
    plain = hashlib.sha256(b"gone@example.com").hexdigest()
    assert suppression.keyed
    assert suppression.email_hash != plain
    assert len(suppression.email_hash) == 64
    # Whoever holds the table but not the key cannot confirm a guess...
    settings.SUBSCRIPTIONS_SUPPRESSION_KEY = "another key"
    assert not Suppression.objects.matching("gone@example.com").exists()


def test_rotating_secret_key_keeps_every_suppression(settings):
    lists()
    erase("gone@example.com")
    settings.SECRET_KEY = "a-brand-new-secret-key-after-rotation-0123456789-abcdefghijklmnop"
    settings.SECRET_KEY_FALLBACKS = []
    assert Suppression.objects.matching("GONE@example.com").exists()
    report = import_one("gone@example.com")
    assert report.new == 0
    assert report.invalid[0][2] == "erased on request: suppressed"
    assert not Subscriber.objects.filter(email="gone@example.com").exists()


def test_an_entry_stored_before_keying_still_blocks_and_is_rekeyed_when_seen():
    lists()
    legacy = Suppression.objects.create(
        email_hash=hashlib.sha256(b"old@example.com").hexdigest(), keyed=False, reason="2024"
    )
    report = import_one("Old@Example.com")
    assert report.new == 0 and "suppressed" in report.invalid[0][2]
    legacy.refresh_from_db()
    assert legacy.keyed
    assert legacy.email_hash != hashlib.sha256(b"old@example.com").hexdigest()
    assert Suppression.objects.matching("old@example.com").get() == legacy


def test_managers_find_an_entry_by_typing_the_address(client):
    lists()
    erase("gone@example.com")
    user = User.objects.create_user("manager", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="subscriptions"))
    client.force_login(user)
    url = reverse("admin:subscriptions_suppression_changelist")
    found = client.get(url, {"q": "Gone@example.com"}).context["cl"].result_list
    assert list(found) == [Suppression.objects.get()]
    assert not client.get(url, {"q": "other@example.com"}).context["cl"].result_list


def export_rows():
    body = b"".join(exports.newsletter_csv().streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize(
    "email", ["-jo@example.com", "+1555@example.com", "=team@example.com", "o'neil@example.com"]
)
def test_csv_export_keeps_a_real_address_as_it_is(email):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter], email=email, first_name="-dash")
    (row,) = export_rows()
    assert row["email"] == email
    # Other columns are still neutralised.
    assert row["first_name"] == "'-dash"


def test_csv_export_still_neutralises_a_dde_address():
    newsletter, _ = lists()
    email = "=cmd|'/c_calc'!A0@example.com"
    make_subscriber(lists=[newsletter], email=email)
    (row,) = export_rows()
    assert row["email"] == "'" + email
