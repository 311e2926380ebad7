"""Every public page is well-formed HTML5: balanced elements, unique ids, no duplicate
attributes, nothing a browser would have to repair (a block inside a paragraph, a link inside
a link). A stdlib parser keeps this check free of extra dependencies; axe-core covers the
accessibility rules in the browser tests."""

import os
import subprocess
from html.parser import HTMLParser

import pytest

from tests.articles.site_data import build_site

pytestmark = pytest.mark.django_db

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
NOT_IN_P = {
    "address", "article", "aside", "blockquote", "div", "dl", "fieldset", "figure", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "p",
    "pre", "section", "table", "ul",
}  # fmt: skip


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ids: set[str] = set()
        self.problems: list[str] = []
        self.doctype = False

    def handle_decl(self, decl):
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            self.problems.append(f"duplicate attribute in <{tag}>: {names}")
        for name, value in attrs:
            if name == "id":
                if value in self.ids:
                    self.problems.append(f"duplicate id {value!r}")
                self.ids.add(value)
        if tag in NOT_IN_P and "p" in self.stack:
            self.problems.append(f"<{tag}> inside <p>")
        if tag == "a" and "a" in self.stack:
            self.problems.append("<a> inside <a>")
        if tag == "form" and "form" in self.stack:
            self.problems.append("<form> inside <form>")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append(f"end tag for void <{tag}>")
        elif not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
        else:
            self.stack.pop()


def check(content: str) -> list[str]:
    checker = Checker()
    checker.feed(content)
    checker.close()
    problems = checker.problems
    if not checker.doctype:
        problems.append("no <!DOCTYPE html>")
    if checker.stack:
        problems.append(f"unclosed: {checker.stack}")
    return problems


def page_urls(site) -> list[str]:
    return [
        "/",
        "/issues/",
        site["issue"].get_absolute_url(),
        site["article"].get_absolute_url(),
        site["news"].get_absolute_url(),
        "/topics/",
        site["topic"].get_absolute_url(),
        site["section"].get_absolute_url(),
        site["author"].get_absolute_url(),
        "/search/",
        "/search/?q=breast",
        "/search/?q=%25%25",
        "/subscribe/",
        "/no-such-page/",
    ]


def test_every_page_is_well_formed(client):
    urls = page_urls(build_site(n=3))
    problems = {url: check(client.get(url).content.decode()) for url in urls}
    assert problems == {url: [] for url in urls}


def test_the_checker_catches_mistakes():
    assert check("<!DOCTYPE html><p><div></div></p>")
    assert check("<!DOCTYPE html><b><i></b></i>")
    assert check('<!DOCTYPE html><a id="x"></a><a id="x"></a>')
    assert check("<!DOCTYPE html><p>fine</p>") == []


@pytest.mark.skipif(
    not os.environ.get("VNU_JAR") and not os.environ.get("CI"),
    reason="set VNU_JAR to the Nu Html Checker jar (CI installs it)",
)
def test_every_page_passes_the_nu_html_checker(client, tmp_path):
    """The W3C's checker (npm package vnu-jar; needs Java), when available."""
    files = []
    for i, url in enumerate(page_urls(build_site(n=3))):
        path = tmp_path / f"page-{i}.html"
        path.write_bytes(client.get(url).content)
        files.append(str(path))
    result = subprocess.run(
        ["java", "-jar", os.environ["VNU_JAR"], "--errors-only", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
