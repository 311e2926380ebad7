"""A chosen image is not lost when the form comes back with an error."""

import lxml.html
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from articles.admin.uploads import FOLDER
from articles.models import Article
from tests.articles.admin_helpers import article_post
from tests.articles.test_images import image_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def kept_token(html: str) -> str:
    [field] = lxml.html.fromstring(html).xpath('//input[@name="lead_image__pending"]')
    return field.get("value")


def test_an_image_chosen_before_a_citation_error_is_kept_and_saved_next_time(admin_client):
    url = reverse("admin:articles_article_add")
    data = article_post(body="<p>Cites [9].</p>", lead_image_alt="A chart")
    data["lead_image"] = upload(image_bytes(kind="PNG"), name="chart.png")

    first = admin_client.post(url, data)

    assert first.status_code == 200
    assert "The body cites [9]" in first.text
    assert "Kept from your last try: <strong>chart.png</strong>" in first.text
    token = kept_token(first.text)

    data = article_post(body="<p>Cites [1].</p>", lead_image_alt="A chart")
    data["lead_image__pending"] = token
    second = admin_client.post(url, data)

    assert second.status_code == 302, second.context["errors"]
    article = Article.objects.get(slug="a-new-article")
    assert article.lead_image.name.endswith(".png")
    assert default_storage.exists(article.lead_image.name)
    # The temporary copy is gone once the article is saved.
    assert not default_storage.listdir(FOLDER)[1]
    assert all(
        not default_storage.listdir(f"{FOLDER}/{d}")[1] for d in default_storage.listdir(FOLDER)[0]
    )


def test_a_refused_image_is_not_kept(admin_client):
    data = article_post(lead_image_alt="A chart")
    data["lead_image"] = upload(b"not an image", name="chart.png")
    response = admin_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 200
    assert "Kept from your last try" not in response.text


def test_a_forged_token_is_ignored(admin_client):
    default_storage.save("private/secret.png", upload(image_bytes(kind="PNG")))
    data = article_post(lead_image_alt="A chart", lead_image__pending="private/secret.png")
    response = admin_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 302
    assert not Article.objects.get(slug="a-new-article").lead_image


def test_ticking_clear_drops_the_kept_upload(admin_client):
    url = reverse("admin:articles_article_add")
    data = article_post(body="<p>Cites [9].</p>", lead_image_alt="A chart")
    data["lead_image"] = upload(image_bytes(kind="PNG"), name="chart.png")
    token = kept_token(admin_client.post(url, data).text)
    data = article_post(lead_image__pending=token, **{"lead_image-clear": "on"})
    assert admin_client.post(url, data).status_code == 302
    assert not Article.objects.get(slug="a-new-article").lead_image


def test_purge_kept_uploads_deletes_only_old_copies(media):
    import os
    import time
    from io import StringIO

    from django.core.management import call_command

    old = default_storage.save(f"{FOLDER}/aaaa/old.png", upload(b"x"))
    new = default_storage.save(f"{FOLDER}/bbbb/new.png", upload(b"y"))
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(media / old, (two_days_ago, two_days_ago))

    out = StringIO()
    call_command("purge_kept_uploads", "--dry-run", stdout=out)
    assert "Would delete 1 kept upload(s)." in out.getvalue()
    assert default_storage.exists(old)

    call_command("purge_kept_uploads", stdout=out)
    assert not default_storage.exists(old)
    assert default_storage.exists(new)
