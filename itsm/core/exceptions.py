"""Errors the service layer raises; the UI and the API map each to one HTTP status."""

from django.utils.translation import gettext_lazy as _


class ConflictError(Exception):
    """The write conflicts with the record's current state (HTTP 409)."""

    default_message = _("The record cannot be changed in its current state.")

    def __init__(self, message: object = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))


class TransitionNotAllowed(ConflictError):
    default_message = _("This action is not allowed now.")


class StaleVersion(ConflictError):
    default_message = _(
        "Someone else changed this record after you opened it. Reload it and try again."
    )
