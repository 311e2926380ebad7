"""Mailing lists, subscribers, their subscriptions, and the consent record behind each."""

from subscriptions.models.alerts import IssueAlert
from subscriptions.models.audit import AuditEntry, PendingImport
from subscriptions.models.delivery import DeliveryEvent
from subscriptions.models.editions import Edition, EditionArticle, EditionLink, ReaderClick
from subscriptions.models.lists import (
    ConsentText,
    MailingList,
    MailingListQuerySet,
    Offer,
    current_offer,
)
from subscriptions.models.records import ConsentEvent, OutboundEmail, Suppression
from subscriptions.models.subscribers import (
    PRINT_QUALIFICATION_PERIOD,
    PROFILE_FIELDS,
    EmailProblem,
    Profession,
    Subscriber,
    SubscriberQuerySet,
    Subscription,
    SubscriptionQuerySet,
    email_hash,
    normalise_email,
    strip_invisible,
)
from subscriptions.models.wording import EmailWording

__all__ = [
    "PRINT_QUALIFICATION_PERIOD",
    "PROFILE_FIELDS",
    "AuditEntry",
    "ConsentEvent",
    "ConsentText",
    "DeliveryEvent",
    "Edition",
    "EditionArticle",
    "EditionLink",
    "EmailProblem",
    "EmailWording",
    "IssueAlert",
    "MailingList",
    "MailingListQuerySet",
    "Offer",
    "OutboundEmail",
    "PendingImport",
    "Profession",
    "ReaderClick",
    "Subscriber",
    "SubscriberQuerySet",
    "Subscription",
    "SubscriptionQuerySet",
    "Suppression",
    "current_offer",
    "email_hash",
    "normalise_email",
    "strip_invisible",
]
