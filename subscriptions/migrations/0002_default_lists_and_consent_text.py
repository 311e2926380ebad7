from django.db import migrations

LISTS = [
    {
        "slug": "jhop-e-newsletter",
        "name": "JHOP e-Newsletter",
        "kind": "email",
        "description": "New issues and FDA oncology updates by email.",
        "position": 1,
    },
    {
        "slug": "jhop-print-edition",
        "name": "JHOP Print Edition",
        "kind": "print",
        "description": "The printed journal, mailed to your address.",
        "position": 2,
    },
]

CONSENT_TEXT = (
    "To sign up for our newsletter or print publications, please enter your contact "
    "information below.\n\n"
    "We will email you a link to confirm. We use your details only to send what you ask for "
    "(and, for the print edition, to mail it to you). Every email has a link to change your "
    "preferences or unsubscribe at any time."
)


def create_defaults(apps, schema_editor):
    MailingList = apps.get_model("subscriptions", "MailingList")
    ConsentText = apps.get_model("subscriptions", "ConsentText")
    for data in LISTS:
        MailingList.objects.get_or_create(slug=data["slug"], defaults=data)
    if not ConsentText.objects.exists():
        ConsentText.objects.create(version=1, body=CONSENT_TEXT)


def remove_defaults(apps, schema_editor):
    MailingList = apps.get_model("subscriptions", "MailingList")
    ConsentText = apps.get_model("subscriptions", "ConsentText")
    MailingList.objects.filter(
        slug__in=[d["slug"] for d in LISTS], subscriptions__isnull=True
    ).delete()
    ConsentText.objects.filter(version=1, events__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
