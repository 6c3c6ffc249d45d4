"""Chat rooms, as in the Channels multichat example: some are staff-only."""
from django.db import models


class Room(models.Model):
    name = models.SlugField(unique=True)
    title = models.CharField(max_length=100)
    staff_only = models.BooleanField(default=False)

    def __str__(self):
        return self.title
