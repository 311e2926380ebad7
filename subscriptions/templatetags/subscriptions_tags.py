from django import template
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from subscriptions.forms import SubscribeForm
from subscriptions.models import EmailWording, current_offer
from subscriptions.models.wording import fill

register = template.Library()

BOX_TEMPLATE = "subscriptions/includes/subscribe_box.html"
SOURCE_MARK = "__jhop_subscribe_box_source__"
# The box as last rendered by this process, by offer: rendering its dozen widgets (one a
# select of some 250 countries) costs more than the rest of an article page.
_rendered: dict[tuple, str] = {}


def _offer_key(offer) -> tuple:
    """Everything the box shows of the offer: a change to any of it renders it again."""
    lists = tuple(
        tuple(sorted((k, v) for k, v in vars(mailing_list).items() if not k.startswith("_")))
        for mailing_list in offer.lists
    )
    return (offer.consent_text_id, offer.consent_body, lists)


@register.simple_tag(takes_context=True)
def subscribe_box(context):
    """The "Subscribe Today!" box: a signup form posting to /subscribe/ (one query at most).

    It sits on cached public pages, so it holds nothing per visitor: no CSRF token (the
    signup view checks the Origin instead) and no time-on-form stamp (subscribe.js fetches
    one for the visitor when they start filling it in). So it is rendered once per offer
    (lists and consent text) and reused, with only the page's own address put in.
    """
    offer = current_offer()
    key = _offer_key(offer)
    html = _rendered.get(key)
    if html is None:
        form = SubscribeForm(
            mailing_lists=offer.lists,
            consent_text_id=offer.consent_text_id,
            auto_id="box-%s",
            stamped=False,
        )
        html = render_to_string(
            BOX_TEMPLATE, {"offer": offer, "form": form, "source_url": SOURCE_MARK}
        )
        _rendered.clear()
        _rendered[key] = html
    request = context.get("request")
    source = request.get_full_path() if request else ""
    return mark_safe(html.replace(SOURCE_MARK, conditional_escape(source)))


def wording_values(kind: str, context) -> dict[str, str]:
    """The values an email's editable words may name (EmailWording.PLACEHOLDERS)."""
    mailing_list = context.get("mailing_list")
    list_name = mailing_list.name if mailing_list else ""
    values = {"list": list_name, "site": context.get("site_name", "")}
    if kind == EmailWording.Kind.EDITION:
        edition = context.get("edition")
        values["subject"] = edition.subject if edition else ""
        # One body for the whole list: the reason must hold for every reader.
        values["reason"] = (
            f"your address is on our {list_name} list: you asked for it, or it came from an "
            "earlier list of ours"
        )
    else:
        issue, subscriber = context.get("issue"), context.get("subscriber")
        values["issue"] = issue.label if issue else ""
        values["issue_title"] = issue.title if issue else ""
        values["first_name"] = subscriber.first_name if subscriber else ""
        values["reason"] = (
            f"your address came to our {list_name} list from an earlier list of ours"
            if context.get("imported")
            else f"you subscribed to {list_name}"
        )
    return values


@register.simple_tag(takes_context=True)
def email_part(context, kind: str, part: str) -> str:
    """One editable part of a bulk email (subject, preheader, intro, footer) with its
    placeholders filled in; the sending code puts the saved words in the context once
    ("wording"), else they are read here. An edition's own preheader comes first."""
    if part == "preheader" and (edition := context.get("edition")) and edition.preheader:
        return edition.preheader
    wording = context.get("wording")
    if wording is None or wording.kind != kind:
        wording = EmailWording.for_kind(kind)
    return fill(getattr(wording, part), wording_values(kind, context))
