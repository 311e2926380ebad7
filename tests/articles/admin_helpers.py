"""What the articles admin tests share: form data as the admin posts it, a staff editor."""

import lxml.html
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from reversion.models import Version

from articles.models import (
    Article,
    Issue,
)
from tests.factories import (
    make_article,
    make_author,
    make_issue,
    make_section,
    make_topic,
)

ARTICLE_MODELS = [m for m in admin.site._registry if m._meta.app_label == "articles"]


def inline(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def article_post(**overrides) -> dict:
    issue = Issue.objects.first() or make_issue()
    first, second = make_author(), make_author(given_name="Meg", credentials="MPH")
    related = [make_article(title="Related one"), make_article(title="Related two")]
    topic = make_topic("Breast Cancer")
    data = {
        "title": "A New Article",
        "slug": "a-new-article",
        "issue": issue.pk,
        "section": make_section("Original Article").pk,
        "standfirst": "",
        "body": '<p onclick="steal()">Shown twice [1] and once [2].</p><script>x()</script>',
        "status": "draft",
        "published_at_0": "",
        "published_at_1": "",
        "position": "0",
        "lead_image_alt": "",
        "lead_image_caption": "",
        "doi": "10.1234/jhop.2022.1",
        "first_page": "",
        "last_page": "",
        "keywords": "",
        "seo_description": "",
        **inline(
            "authorships",
            [{"author": second.pk, "position": 2}, {"author": first.pk, "position": 1}],
        ),
        **inline("article_topics", [{"topic": topic.pk, "position": 1}]),
        **inline(
            "references",
            [
                {"position": 1, "citation": "Roberto M, et al. Cancers. 2021;13:332."},
                {
                    "position": 2,
                    "citation": "Lloyd MR, et al. Clin Cancer Res. 2021.",
                    "pmid": "34724978",
                },
            ],
        ),
        **inline(
            "related_links",
            [{"related": related[1].pk, "position": 1}, {"related": related[0].pk, "position": 2}],
        ),
        **inline("preview_links", []),
    }
    data.update(overrides)
    return data


def staff_editor(client):
    user = User.objects.create_user("editor", password="x", is_staff=True)
    ct = ContentType.objects.get_for_model(Article)
    user.user_permissions.add(
        *Permission.objects.filter(content_type=ct, codename__in=["change_article", "view_article"])
    )
    client.force_login(user)
    return user


def form_values(html: str, form_id: str) -> dict:
    form = lxml.html.fromstring(html).get_element_by_id(form_id)
    data: dict[str, list[str]] = {}
    for name, value in form.form_values():
        data.setdefault(name, []).append(value)
    return data


def restore_first_version(admin_client, article):
    first = Version.objects.get_for_object(article).order_by("pk").first()
    url = reverse("admin:articles_article_revision", args=[article.pk, first.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    return admin_client.post(url, form_values(page.text, "article_form"))
