from django import template

from subscriptions.forms import SubscribeForm
from subscriptions.models import current_offer

register = template.Library()


@register.inclusion_tag("subscriptions/includes/subscribe_box.html", takes_context=True)
def subscribe_box(context):
    """The "Subscribe Today!" box: a signup form posting to /subscribe/ (one query at most).

    It sits on cached public pages, so it holds nothing per visitor: no CSRF token (the
    signup view checks the Origin instead) and no time-on-form stamp (subscribe.js fetches
    one for the visitor when they start filling it in).
    """
    offer = current_offer()
    request = context.get("request")
    return {
        "offer": offer,
        "form": SubscribeForm(
            mailing_lists=offer.lists,
            consent_text_id=offer.consent_text_id,
            auto_id="box-%s",
            stamped=False,
        ),
        "source_url": request.get_full_path() if request else "",
    }
