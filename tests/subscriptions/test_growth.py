"""List growth per week in the admin: a server-drawn SVG chart with its table."""

from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from subscriptions.models import ConsentEvent, MailingList, Subscription
from subscriptions.reports import weekly_growth

from .factories import lists, make_subscriber

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 17)  # a Wednesday; its week starts on Monday June 15


def at(day: date):
    return timezone.make_aware(datetime.combine(day, time(12)))


def subscribe(
    mailing_list, *, requested, confirmed=None, status="active", ended=None, imported=False
):
    subscriber = make_subscriber()
    return Subscription.objects.create(
        subscriber=subscriber,
        mailing_list=mailing_list,
        status=status,
        requested_at=at(requested),
        confirmed_at=at(confirmed) if confirmed else None,
        imported_at=at(confirmed) if imported else None,
        unsubscribed_at=at(ended) if ended else None,
    )


def test_signups_confirmations_unsubscribes_bounces_and_complaints_per_week():
    newsletter, print_edition = lists()
    this_week, last_week = TODAY - timedelta(days=1), TODAY - timedelta(days=8)
    subscribe(newsletter, requested=last_week, confirmed=last_week)
    subscribe(newsletter, requested=last_week, confirmed=this_week)
    subscribe(newsletter, requested=this_week, status="pending")
    subscribe(newsletter, requested=last_week, confirmed=last_week, status="unsubscribed",
              ended=this_week)  # fmt: skip
    subscribe(newsletter, requested=last_week, confirmed=last_week, status="bounced",
              ended=this_week)  # fmt: skip
    complainer = subscribe(newsletter, requested=last_week, confirmed=last_week,
                           status="unsubscribed", ended=this_week)  # fmt: skip
    ConsentEvent.objects.create(
        subscriber=complainer.subscriber,
        kind=ConsentEvent.Kind.COMPLAINED,
        source=ConsentEvent.Source.EMAIL_SERVICE,
    )
    subscribe(print_edition, requested=this_week, confirmed=this_week)
    subscribe(newsletter, requested=TODAY - timedelta(weeks=5), status="pending")  # too early
    # Imported: active, but nobody confirmed anything to us.
    subscribe(newsletter, requested=this_week, confirmed=this_week, imported=True)

    with CaptureQueriesContext(connection) as queries:
        growth = {g.mailing_list.slug: g for g in weekly_growth(weeks=2, today=TODAY)}
    assert len(queries) == 7  # the lists, then one per series
    news = growth["jhop-e-newsletter"]
    assert news.weeks == [date(2026, 6, 8), date(2026, 6, 15)]
    assert news.series == {
        "signups": [5, 2],
        "confirmations": [4, 1],
        "imports": [0, 1],
        "unsubscribes": [0, 1],
        "bounces": [0, 1],
        "complaints": [0, 1],
    }
    assert growth["jhop-print-edition"].series["signups"] == [0, 1]
    assert news.rows[1] == (date(2026, 6, 15), 2, 1, 1, 1, 1, 1)


def test_the_page_shows_a_chart_and_its_table_to_managers_only(client):
    newsletter, _ = lists()
    subscribe(newsletter, requested=timezone.localdate(), confirmed=timezone.localdate())
    url = reverse("admin:subscriptions_mailinglist_growth")
    manager = User.objects.create_user("lists", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name="Subscription managers"))
    client.force_login(manager)
    assert url in client.get(reverse("admin:subscriptions_mailinglist_changelist")).text
    page = client.get(url, {"weeks": "4"})
    assert page.status_code == 200
    text = page.text
    main = text[text.index('id="content"') :]
    assert main.count('<svg class="growth-chart"') == MailingList.objects.count()
    assert 'role="img"' in main and "<title>JHOP e-Newsletter: signups" in main
    assert "<caption>JHOP e-Newsletter per week</caption>" in main
    assert main.count('<tr><th scope="row">') == 4 * MailingList.objects.count()
    # CSP-clean: nothing inline that the policy ("style-src 'self'") would refuse.
    assert " style=" not in main and "<script" not in main.split("</svg>")[0]
    assert client.get(url, {"weeks": "lots"}).status_code == 200

    editor = User.objects.create_user("desk", password="x", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    assert client.get(url).status_code == 403
