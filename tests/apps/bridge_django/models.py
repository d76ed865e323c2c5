"""One model, for the admin."""

from __future__ import annotations

from django.db import models


class Note(models.Model):
    """A note, added through the admin."""

    title = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.title
