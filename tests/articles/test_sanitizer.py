import lxml.html
import pytest

from articles.models import Article
from articles.sanitizer import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, EDITOR_EXTENSIONS, sanitize_html
from tests.factories import make_article

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/xss.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<p onclick=\"alert(1)\" onmouseover='alert(1)'>hover</p>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<video><source onerror="alert(1)"></video>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<p style="color:red">x</p>',
    "<style>body{display:none}</style>",
    '<link rel="stylesheet" href="//evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="//evil.example/">',
    "<!--<img src=x onerror=alert(1)>-->",
    '<div><a href="https://example.org" onclick="alert(1)" target="_blank">ok</a></div>',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
    # SVG and MathML: foreign content with its own URL attributes and event handlers.
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<svg><use href="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=#x"/></svg>',
    '<svg><foreignObject><iframe src="javascript:alert(1)"></iframe></foreignObject></svg>',
    '<math href="javascript:alert(1)">CLICK</math>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    # data: URLs.
    '<a href="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">x</a>',
    '<a href="DATA:text/html,<script>alert(1)</script>">x</a>',
    '<img src="data:image/png;base64,iVBORw0KGgo=">',
    # Entity-encoded and obfuscated schemes.
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="java&#0000115;cript:alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<a href=" &#14;  javascript:alert(1)">x</a>',
    # Nested and malformed markup.
    '<a><a href="javascript:alert(1)">nested</a></a>',
    '<p><strong><em><a href="javascript:alert(1)"><svg onload=alert(1)>x</svg></a></em>'
    "</strong></p>",
    "<xmp><script>alert(1)</script></xmp>",
    "<plaintext><script>alert(1)</script>",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<td colspan="1 onmouseover=alert(1)">x</td>',
    "<isindex type=image src=1 onerror=alert(1)>",
    '<div style="x:expression(alert(1))">x</div>',
    '<p title="x" lang="en" class="evil" id="ref-1">spoofed anchor</p>',
]


def assert_harmless(html: str):
    assert "<script" not in html.lower()
    if not html.strip():
        return
    for element in lxml.html.fragment_fromstring(html, create_parent="div").iter():
        if element.tag == "div" and element.getparent() is None:
            continue
        assert element.tag in ALLOWED_TAGS, element.tag
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), name
            assert name != "style"
            assert name in ALLOWED_ATTRIBUTES.get(element.tag, set()) | {"rel"}, name
            assert not value.strip().lower().startswith(("javascript:", "data:", "vbscript:"))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_sanitizer_neutralises_xss(payload):
    assert_harmless(sanitize_html(payload))


def test_sanitizer_keeps_what_the_editor_makes():
    html = (
        "<h2>Results</h2><p><strong>Bold</strong> <em>it</em> H<sub>2</sub>O m<sup>2</sup> "
        '<a href="https://doi.org/10.1/x" title="DOI">link</a></p>'
        '<ul><li>a</li></ul><ol start="3"><li>b</li></ol><blockquote><p>q</p></blockquote>'
        '<table><tbody><tr><th colspan="2">h</th></tr><tr><td>1</td><td>2</td></tr></tbody></table>'
    )
    cleaned = sanitize_html(html)
    assert cleaned == html.replace('title="DOI"', 'title="DOI" rel="noopener noreferrer"')


def test_editor_extensions_match_the_allow_list():
    """The editor offers exactly what the sanitizer keeps: nothing typed is lost on save."""
    from django_prose_editor.config import allowlist_from_extensions, expand_extensions

    editor = allowlist_from_extensions(expand_extensions(EDITOR_EXTENSIONS))
    assert editor["tags"] == ALLOWED_TAGS
    assert editor["url_schemes"] == {"http", "https", "mailto"}
    for tag, attributes in ALLOWED_ATTRIBUTES.items():
        assert attributes <= editor["attributes"][tag]


def test_escaped_markup_stays_text():
    html = "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; 5 &lt; 6</p>"
    assert sanitize_html(html) == html


def test_empty_editor_paragraph_is_empty():
    assert sanitize_html("<p></p>") == ""


@pytest.mark.django_db
@pytest.mark.parametrize("payload", XSS_PAYLOADS[:12])
def test_every_save_path_sanitizes(payload):
    article = make_article(body=payload)
    assert_harmless(Article.objects.get(pk=article.pk).body)

    [bulk] = Article.objects.bulk_create([Article(title="B", slug="bulk-x", body=payload)])
    assert_harmless(Article.objects.get(slug="bulk-x").body)

    Article.objects.filter(pk=article.pk).update(body=payload)
    assert_harmless(Article.objects.get(pk=article.pk).body)

    bulk.body = payload
    Article.objects.bulk_update([bulk], ["body"])
    assert_harmless(Article.objects.get(pk=bulk.pk).body)


@pytest.mark.django_db
def test_full_clean_stores_the_sanitized_body_on_the_instance():
    article = make_article()
    article.body = '<p onclick="x()">Hi [1]</p><script>x()</script>'
    article.full_clean(exclude=["lead_image"])
    assert article.body == "<p>Hi [1]</p>"
