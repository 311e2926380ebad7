"""Read a page as a reader sees it, so tests assert meaning rather than exact markup."""

import lxml.html


def parse(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.content)


def seen(element) -> str:
    """An element's text with whitespace collapsed, as a browser shows it."""
    return " ".join(element.text_content().split())


def by_class(response, name: str) -> list[lxml.html.HtmlElement]:
    return parse(response).find_class(name)
