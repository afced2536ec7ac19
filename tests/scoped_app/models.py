from django.conf import settings
from django.db import models


class Memo(models.Model):
    """An owned record, as leads and customers will be."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    title = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.title
