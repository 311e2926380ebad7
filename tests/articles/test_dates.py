"""Dates that mean what they say: corrections, scheduling messages, the preview banner."""

import datetime
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.articles.admin_helpers import article_post
from tests.factories import make_article, make_issue

pytestmark = pytest.mark.django_db


def dates_line(html: str) -> str:
    return html.split('<p class="dates">')[1].split("</p>")[0]


def test_back_dating_an_article_to_its_issue_prints_no_updated_line(client):
    issue_day = timezone.now() - timedelta(days=900)
    issue = make_issue(published_at=issue_day)
    article = make_article(issue=issue, published_at=issue_day)
    article.title = "Entered today for the archive"
    article.save()  # updated_at is today

    line = dates_line(client.get(article.get_absolute_url()).text)
    assert "Published" in line
    assert "Updated" not in line and "Corrected" not in line


def test_a_recorded_correction_is_shown_with_its_note(client):
    article = make_article(published_at=timezone.now() - timedelta(days=30))
    when = timezone.now() - timedelta(days=2)
    Article.objects.filter(pk=article.pk).update(
        corrected_at=when, correction_note="The dose in Table 2 was corrected."
    )
    html = client.get(article.get_absolute_url()).text
    day = timezone.localtime(when).strftime("%B %-d, %Y")
    assert f">{day}</time>" in dates_line(html)
    assert "Corrected on" in dates_line(html)
    assert "The dose in Table 2 was corrected." in html


def test_saving_a_scheduled_article_says_scheduled_for(admin_client):
    at = timezone.localtime(timezone.now() + timedelta(days=3)).replace(
        hour=18, minute=13, second=0, microsecond=0
    )
    data = article_post(
        status="published",
        published_at_0=at.strftime("%Y-%m-%d"),
        published_at_1=at.strftime("%H:%M:%S"),
    )
    response = admin_client.post(reverse("admin:articles_article_add"), data, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert f"“A New Article” is scheduled for {at.strftime('%b %-d, %Y')} 18:13." in messages


def test_preview_banner_has_one_full_stop_after_p_m(admin_client):
    at = timezone.localtime(timezone.now() + timedelta(days=3)).replace(hour=18, minute=13)
    article = make_article(published_at=at)
    text = admin_client.get(article.get_absolute_url()).text
    banner = " ".join(text.split('class="preview-banner"')[1].split("</div>")[0].split())
    assert "6:13 p.m. Readers cannot see this page." in banner
    assert "p.m.." not in banner


def test_cover_month_widget_round_trips_a_date():
    from articles.admin.forms import MonthYearField

    field = MonthYearField()
    assert field.clean(["6", "2022"]) == datetime.date(2022, 6, 1)
    assert field.widget.decompress(datetime.date(2022, 6, 1)) == ["6", 2022]
