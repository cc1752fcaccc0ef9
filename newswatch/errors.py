"""One exception root for the whole project, with one subclass per area.

Every message says what went wrong and how to fix it; the CLI prints it on one line and
exits 2 for bad input or config (`ConfigError`, `InputError`) and 1 for everything else.
"""

from __future__ import annotations


class NewswatchError(Exception):
    """Root of every error newswatch raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(f"{message} (fix: {fix})" if fix else message)


class ConfigError(NewswatchError):
    """A config file or setting is invalid. Raised at load, never mid-run."""

    exit_code = 2


class InputError(NewswatchError):
    """A file or argument given on the command line cannot be used."""

    exit_code = 2


class BrokerError(NewswatchError):
    """Kafka cannot be reached, started, or refused an operation."""


class CollectError(NewswatchError):
    """A feed could not be fetched or parsed."""


class ProcessError(NewswatchError):
    """An article could not be classified."""


class AlertError(NewswatchError):
    """An alert could not be delivered."""


class DecodeError(NewswatchError):
    """A Kafka record is not a valid newswatch message."""


class FeedbackError(NewswatchError):
    """An officer's mark could not be read, verified or recorded."""
