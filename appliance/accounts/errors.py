"""What can go wrong with a panel account, in words the user can act on."""

from __future__ import annotations

from appliance.errors import ApplianceError


class AccountError(ApplianceError):
    """An account change that cannot be made as asked; the message says what to do."""


class SignInRefused(ApplianceError):
    """A sign-in step failed; the message says why in plain words (`locked`: wait, do not retry now)."""

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


class NoSuchUserError(AccountError):
    """A user asked for by id does not exist."""
