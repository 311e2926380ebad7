from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Autosave(models.Model):
    """An editor's unsaved form data for one article or issue (or its add form, object_id
    ""): never the live row, so an autosave publishes nothing and changes nothing readers
    see. One per user and object; saving the form deletes it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="autosaves"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=40, blank=True)
    data = models.JSONField(help_text="The form's fields: name -> list of values.")
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "content_type", "object_id"], name="autosave_one_per_user_object"
            )
        ]

    def __str__(self):
        return f"{self.content_type} {self.object_id or 'new'} ({self.user})"
