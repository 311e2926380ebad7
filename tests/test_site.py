"""Site-wide behaviour: health check, robots.txt, error pages, the base layout."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.urls import reverse

from articles.models import Journal


@pytest.fixture
def journal(db):
    return Journal.objects.create(
        name="Journal of Hematology Oncology Pharmacy",
        short_name="JHOP",
        slug="jhop",
        publisher="Amplity Health",
        copyright_line="© Amplity Health. All rights reserved.",
        is_primary=True,
    )


def test_healthz_ok_without_cookies(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert not response.cookies
    assert "no-cache" in response["Cache-Control"]


def test_healthz_503_when_database_is_down(client, db):
    with mock.patch("jhop.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["database"] == "unavailable"


def test_healthz_reports_a_cache_that_does_not_answer_and_stays_200(client, db):
    with mock.patch("jhop.views.cache.get", return_value=None):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "unavailable"}


def test_robots_names_the_sitemap(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode()
    assert "Disallow: /admin/" in response.content.decode()


def test_home_shows_journal_name_and_copyright_from_data(client, journal):
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Journal of Hematology Oncology Pharmacy" in html
    assert "© Amplity Health. All rights reserved." in html
    assert 'href="#main"' in html and 'id="main"' in html
    assert "<header" in html and "<footer" in html and "<nav" in html


def test_copyright_follows_the_journal_record(client, journal):
    journal.copyright_line = "© Example Press."
    journal.save()
    from django.core.cache import cache

    cache.clear()
    assert "© Example Press." in client.get(reverse("home")).content.decode()


@override_settings(DEBUG=False)
def test_custom_404_page(client, journal):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "© Amplity Health" in response.content.decode()


def test_custom_500_page_needs_no_database(rf):
    from jhop.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_security_headers(client, journal):
    response = client.get(reverse("home"))
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
