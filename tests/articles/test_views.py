"""The reader's pages: what each shows, in the seed's order and format."""

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.redirects.models import Redirect
from django.contrib.sites.models import Site
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import reverse

from articles import services
from articles.models import Article, Issue
from tests.articles.site_data import SEED_TITLE, build_site
from tests.factories import make_article, make_issue, make_topic
from tests.html import by_class, seen

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return build_site(n=2)


def text(response) -> str:
    return response.content.decode()


def test_article_page_follows_the_seed_order(client, site):
    html = text(client.get(site["article"].get_absolute_url()))
    positions = [
        html.index("Subscribe Today!"),
        html.index(f'<h1 id="article-title">{SEED_TITLE}</h1>'),
        html.index('class="issue-line"'),
        html.index('class="byline"'),
        html.index('class="article-body"'),
        html.index('id="references-heading"'),
        html.index("Cite this article"),
        html.index("Related Items"),
    ]
    assert positions == sorted(positions)


def test_article_issue_line_is_label_then_section_and_topics(client, site):
    [line] = by_class(client.get(site["article"].get_absolute_url()), "issue-line")
    assert seen(line).startswith("JHOP - June 2022 Vol 12, No 3 - Original Article, Breast Cancer")


def test_byline_shows_credentials_and_links_author_pages(client, site):
    html = text(client.get(site["article"].get_absolute_url()))
    author = site["author"]
    assert f'<a href="{author.get_absolute_url()}">{author.name}, PharmD, BCOP</a>' in html


def test_citations_link_to_references_and_back(client, site):
    html = text(client.get(site["article"].get_absolute_url()))
    assert '<a href="#ref-1" id="cite-1-1"' in html
    assert '<li id="ref-1" value="1">' in html
    assert 'href="#cite-1-1"' in html and 'href="#cite-2-1"' in html


def test_references_link_to_doi_and_pubmed(client, site):
    reference = site["article"].references.get(position=1)
    reference.doi = "10.3390/cancers13020332"
    reference.pmid = "33477469"
    reference.save()
    html = text(client.get(site["article"].get_absolute_url()))
    assert 'href="https://doi.org/10.3390/cancers13020332"' in html
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/33477469/"' in html


def test_references_are_escaped_and_link_back_only_when_cited(client, site):
    article = site["article"]
    cited = article.references.get(position=1)
    cited.citation = 'Smith <b>"A&B"</b> trial. Lancet. 2020;1:2.'
    cited.url = "https://example.org/full?a=1&b=2"
    cited.save()
    uncited = article.references.create(position=99, citation="Never cited in the text.")
    html = text(client.get(article.get_absolute_url()))
    item = re.search(r'<li id="ref-1" value="1">.*?</li>', html, re.S).group(0)
    assert "Smith &lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt; trial." in item
    assert 'href="https://example.org/full?a=1&amp;b=2">Full text' in item
    assert 'href="#cite-1-1"' in item
    last = re.search(rf'<li id="ref-{uncited.position}" value="99">.*?</li>', html, re.S)
    assert "backlink" not in last.group(0) and "ref-links" not in last.group(0)


def test_header_and_footer_links_mark_the_current_page(client, site):
    home = text(client.get(reverse("home")))
    assert f'<a href="{reverse("home")}" aria-current="page">Home</a>' in home
    issues = text(client.get(reverse("articles:issue-list")))
    assert f'<a href="{reverse("articles:issue-list")}" aria-current="page">Issues</a>' in issues
    assert f'<a href="{reverse("home")}">Home</a>' in issues
    for name in ("articles:topic-list", "articles:feed-latest-rss", "subscriptions:subscribe"):
        assert f'href="{reverse(name)}"' in issues


def test_lead_image_is_responsive(client, site):
    from tests.articles.test_images import image_bytes

    article = site["article"]
    article.lead_image.save("chart.png", ContentFile(image_bytes(size=(1600, 900))), save=False)
    article.lead_image_alt = "Response rates by arm"
    article.save()
    html = text(client.get(article.get_absolute_url()))
    (img,) = re.findall(r'<figure class="lead-image">\s*(<img [^>]+>)', html)
    assert 'alt="Response rates by arm"' in img and 'width="800" height="450"' in img
    srcset = re.search(r'srcset="([^"]+)"', img).group(1)
    assert [c.rsplit(" ", 1)[1] for c in srcset.split(", ")] == ["480w", "800w", "1200w"]
    assert 'sizes="' in img


def test_related_items_in_the_seed_format(client, site):
    html = text(client.get(site["article"].get_absolute_url()))
    related = html[html.index("Related Items") :]
    plain = " ".join(re.sub(r"<[^>]+>", " ", related).split())
    assert (
        "JHOP - June 2022 Vol 12, No 3 published on June 16, 2022 in FDA Oncology Update, "
        "Breast Cancer" in plain
    )
    assert site["news"].title in plain
    assert SEED_TITLE not in plain


def test_cite_this_article_ama_and_downloads(client, site):
    article = site["article"]
    html = text(client.get(article.get_absolute_url()))
    assert "Ignoffo RJ, Joseph D. Resistance Mechanisms" in html
    assert "J Hematol Oncol Pharm. 2022;12(3):101-108." in html
    ris = client.get(reverse("articles:article-citation", args=[article.slug, "ris"]))
    assert ris["Content-Type"].startswith("application/x-research-info-systems")
    assert "attachment" in ris["Content-Disposition"]
    assert "TY  - JOUR" in text(ris) and "AU  - Ignoffo, Robert J." in text(ris)
    bib = client.get(reverse("articles:article-citation", args=[article.slug, "bib"]))
    assert text(bib).startswith("@article{Ignoffo2022_")
    assert "doi = {10.12345/jhop.2022.0001}" in text(bib)
    assert client.get(f"{article.get_absolute_url()}cite.exe").status_code == 404


def test_home_shows_current_issue_latest_topics_and_subscribe_box(client, site):
    older = make_issue(volume=12, number=2, slug="april-2022", cover_date="2022-04-01")
    make_article(title="Featured piece", is_featured=True, issue=older)
    html = text(client.get("/"))
    assert "JHOP - June 2022 Vol 12, No 3" in html
    assert 'id="featured-heading"' in html and "Featured piece" in html
    assert "Latest articles" in html and SEED_TITLE in html
    assert 'href="/topics/breast-cancer/"' in html
    assert "Subscribe Today!" in html


def test_home_topic_list_counts_live_articles_and_escapes_names(client, site):
    topic = make_topic("Lymphoma <B&T>")
    make_article(title="One", topics=[topic])
    make_article(title="Two", topics=[topic])
    make_article(title="Draft", topics=[topic], status=Article.Status.DRAFT)
    nav = re.search(r'<nav class="topic-nav".*?</nav>', text(client.get("/")), re.S).group(0)
    assert (
        f'<li><a href="{topic.get_absolute_url()}">Lymphoma &lt;B&amp;T&gt;</a> '
        '<span class="count">(2)</span></li>'
    ) in nav


def test_home_does_not_list_a_featured_article_again_under_latest(client, site):
    make_article(title="Featured piece", is_featured=True)
    html = text(client.get("/"))
    featured = html[html.index('id="featured-heading"') : html.index('id="latest-heading"')]
    latest = html[html.index('id="latest-heading"') :]
    assert "Featured piece" in featured
    assert "Featured piece" not in latest
    assert SEED_TITLE in latest


def test_issue_archive_groups_by_year_and_marks_special_issues(client, site):
    make_issue(
        volume=12,
        number=None,
        kind=Issue.Kind.SPECIAL_FEATURE,
        slug="march-2022-special",
        cover_date="2022-03-01",
    )
    make_issue(volume=11, number=4, slug="dec-2021", cover_date="2021-12-01")
    html = text(client.get(reverse("articles:issue-list")))
    assert html.index('id="year-2022"') < html.index('id="year-2021"')
    assert "JHOP - March 2022 Vol 12 Special Feature" in html
    assert '<span class="badge">Special Feature</span>' in html


def test_issue_toc_groups_by_section_in_editors_order(client, site):
    issue = site["issue"]
    make_article(title="Second original", issue=issue, section=site["section"], position=2)
    make_article(title="First original", issue=issue, section=site["section"], position=0)
    html = text(client.get(issue.get_absolute_url()))
    assert html.index(">Original Article</h3>") < html.index(">FDA Oncology Update</h3>")
    assert html.index("First original") < html.index("Second original")


def test_topic_section_and_author_pages_list_newest_first(client, site):
    for url in (
        site["topic"].get_absolute_url(),
        site["news_section"].get_absolute_url(),
        site["author"].get_absolute_url(),
    ):
        html = text(client.get(url))
        titles = re.findall(r'class="item-title"><a href="[^"]+">([^<]+)</a>', html)
        assert titles, url
        if "Enhertu Received Regular FDA Approval 1" in titles:
            assert titles.index("Enhertu Received Regular FDA Approval 0") < titles.index(
                "Enhertu Received Regular FDA Approval 1"
            )


def test_lists_paginate(client, site):
    for i in range(25):
        make_article(title=f"Filler {i}", topics=[site["topic"]])
    first = text(client.get(site["topic"].get_absolute_url()))
    second = client.get(site["topic"].get_absolute_url() + "?page=2")
    assert 'rel="next"' in first
    assert second.status_code == 200 and 'rel="prev"' in text(second)
    assert '<link rel="canonical" href="http://testserver/topics/breast-cancer/?page=2">' in text(
        second
    )


def test_author_page_shows_profile(client, site):
    author = site["author"]
    author.affiliation = "University of California, San Francisco"
    author.bio = "Clinical professor of pharmacy."
    author.orcid = "0000-0002-1825-0097"
    author.save()
    html = text(client.get(author.get_absolute_url()))
    assert "University of California, San Francisco" in html
    assert "Clinical professor of pharmacy." in html
    assert "https://orcid.org/0000-0002-1825-0097" in html
    assert f'{author.name}<span class="credentials">, PharmD, BCOP</span>' in html


def test_author_without_published_work_has_no_page(client, site):
    from tests.factories import make_author

    nobody = make_author()
    make_article(status=Article.Status.DRAFT, authors=[nobody])
    assert client.get(nobody.get_absolute_url()).status_code == 404


def test_anonymous_reader_gets_404_for_a_draft(client, site):
    article = site["article"]
    article.status = Article.Status.DRAFT
    article.save()
    assert client.get(article.get_absolute_url()).status_code == 404


def _staff(client, *, can_change=True):
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    if can_change:
        user.user_permissions.add(Permission.objects.get(codename="change_article"))
    client.force_login(user)
    return user


def test_staff_preview_a_draft_with_banner_noindex_and_no_cache(client, site):
    article = site["article"]
    article.status = Article.Status.DRAFT
    article.save()
    _staff(client)
    response = client.get(article.get_absolute_url())
    html = text(response)
    assert response.status_code == 200
    assert "Draft preview." in html
    assert f'href="/admin/articles/article/{article.pk}/change/"' in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_staff_preview_a_scheduled_article_says_when(client, site):
    from datetime import timedelta

    from django.utils import timezone

    article = site["article"]
    article.published_at = timezone.now() + timedelta(days=3)
    article.save()
    _staff(client)
    assert "Scheduled to go live on" in text(client.get(article.get_absolute_url()))


def test_staff_without_change_permission_cannot_preview(client, site):
    article = site["article"]
    article.status = Article.Status.DRAFT
    article.save()
    _staff(client, can_change=False)
    assert client.get(article.get_absolute_url()).status_code == 404


def test_published_article_has_no_preview_banner(client, site):
    _staff(client)
    html = text(client.get(site["article"].get_absolute_url()))
    assert "Draft preview" not in html and "noindex" not in html


def test_changing_a_slug_keeps_the_old_url_with_a_301(client, site):
    article = site["article"]
    old_url = article.get_absolute_url()
    article.slug = "cdk46-resistance"
    services.save_article(article=article)
    article.slug = "cdk46-resistance-2022"
    services.save_article(article=article)
    for url in (old_url, "/articles/cdk46-resistance/"):
        response = client.get(url)
        assert response.status_code == 301
        assert response["Location"] == "/articles/cdk46-resistance-2022/"


def test_an_old_slug_does_not_reveal_an_unpublished_article(client, site):
    article = site["article"]
    article.slug = "renamed"
    article.status = Article.Status.DRAFT
    services.save_article(article=article)
    assert client.get("/articles/resistance-mechanisms-cdk46/").status_code == 404


def test_reusing_a_slug_gives_it_to_the_new_article(client, site):
    article = site["article"]
    article.slug = "renamed"
    services.save_article(article=article)
    newcomer = make_article(slug="resistance-mechanisms-cdk46", title="Newcomer")
    assert "Newcomer" in text(client.get(newcomer.get_absolute_url()))


@override_settings(DEBUG=False)
def test_editor_redirects_from_the_old_site_are_permanent(client, site):
    Redirect.objects.create(
        site=Site.objects.get_current(),
        old_path="/jhop-issues/2022/june/cdk46.html",
        new_path=site["article"].get_absolute_url(),
    )
    response = client.get("/jhop-issues/2022/june/cdk46.html")
    assert response.status_code == 301
    assert response["Location"] == site["article"].get_absolute_url()


def test_unknown_pages_404(client, site):
    for url in ("/issues/nope/", "/articles/nope/", "/topics/nope/", "/sections/nope/"):
        assert client.get(url).status_code == 404, url


def test_every_page_advertises_the_feeds(client, site):
    for url in ("/", "/issues/", site["article"].get_absolute_url(), "/search/?q=x"):
        html = text(client.get(url))
        assert '<link rel="alternate" type="application/rss+xml"' in html, url
        assert '<link rel="alternate" type="application/atom+xml"' in html, url
    topic_page = text(client.get(site["topic"].get_absolute_url()))
    assert 'href="/topics/breast-cancer/rss/"' in topic_page


def test_pages_have_one_h1(client, site):
    for url in (
        "/",
        "/issues/",
        site["issue"].get_absolute_url(),
        site["article"].get_absolute_url(),
        "/topics/",
        site["topic"].get_absolute_url(),
        site["section"].get_absolute_url(),
        site["author"].get_absolute_url(),
        "/search/?q=breast",
    ):
        assert text(client.get(url)).count("<h1") == 1, url


def test_topic_and_section_pages_name_their_kind_and_their_own_feeds(client, site):
    section = site["article"].section or Article.objects.exclude(section=None).first().section
    topic = site["article"].topics.first()
    section_html = text(client.get(section.get_absolute_url()))
    topic_html = text(client.get(topic.get_absolute_url()))
    assert '<p class="eyebrow">Section</p>' in section_html
    assert f"/sections/{section.slug}/rss/" in section_html
    assert '<p class="eyebrow">Topic</p>' in topic_html
    assert f"/topics/{topic.slug}/atom/" in topic_html
