from django.db import models


class VerifiedCopy(models.Model):
    """The verifier's note that a stored copy equalled its fresh computation: digests of
    the copy's source columns and of its stored value at that moment, and of the code
    that computed it (articles.derived.verify). check_derived recomputes a copy again only
    when one of the three has moved since; --full recomputes every one. Written and read
    by the verifier alone: a wrong note can only hide a drift from the daily run until the
    weekly full one."""

    copy = models.CharField(max_length=40)
    row = models.BigIntegerField()
    source = models.CharField(max_length=32)  # md5, hex
    value = models.CharField(max_length=32)
    code = models.CharField(max_length=32)
    verified_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["copy", "row"], name="articles_verifiedcopy_once")
        ]

    def __str__(self):
        return f"{self.copy} of row {self.row}, verified {self.verified_at:%Y-%m-%d %H:%M}"
