"""The one error the catalogue raises for bad input: its message is for the person who sent it."""

from django.core.exceptions import ValidationError


class CatalogueError(ValidationError):
    """A change to the catalogue that cannot be made as asked; nothing was written."""
