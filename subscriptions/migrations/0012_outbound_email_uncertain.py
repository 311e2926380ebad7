"""Emails a dead worker may or may not have sent are "uncertain", not "failed".

Those marked failed for that reason before (recognised by the explanation they were given)
become uncertain, with the new explanation; going back, they are failed again.
"""

from django.db import migrations, models

OLD_EXPLANATION = "The worker stopped while handing this email to the mail server"
NEW_EXPLANATION = (
    "Uncertain: the worker stopped while handing this email to the mail server, so it may "
    "or may not have gone out. It is not sent again automatically (that could send it "
    "twice). A report from the email service about it settles it as sent; otherwise check "
    "the mail server's log for its Message-ID, then use \"Mark uncertain emails as sent\" "
    'or "Resend uncertain emails".'
)


def failed_to_uncertain(apps, schema_editor):
    OutboundEmail = apps.get_model("subscriptions", "OutboundEmail")
    OutboundEmail.objects.filter(status="failed", last_error__startswith=OLD_EXPLANATION).update(
        status="uncertain", last_error=NEW_EXPLANATION
    )


def uncertain_to_failed(apps, schema_editor):
    OutboundEmail = apps.get_model("subscriptions", "OutboundEmail")
    OutboundEmail.objects.filter(status="uncertain").update(status="failed")


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0011_email_problems_and_imports"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboundemail",
            name="message_id",
            field=models.CharField(
                blank=True,
                db_index=True,
                help_text="Ours (the Message-ID header, stored with the claim, before the email "
                "is handed over), then the email service's own id once it gives one; its "
                "reports quote either.",
                max_length=200,
            ),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("sending", "Being sent"),
                    ("retrying", "Failed, will retry"),
                    ("sent", "Sent"),
                    ("failed", "Failed (gave up)"),
                    ("uncertain", "Uncertain (the worker stopped while handing it over)"),
                    ("suppressed", "Not sent (address bounced or complained)"),
                ],
                default="queued",
                max_length=10,
            ),
        ),
        migrations.RunPython(failed_to_uncertain, uncertain_to_failed),
    ]
