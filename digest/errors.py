"""The exception hierarchy. Only the CLI turns these into messages and exit codes."""

from __future__ import annotations


class DigestError(Exception):
    """Base class for every error digest reports to the user."""

    exit_code = 1


class ConfigError(DigestError):
    """A config or issue file is missing, unreadable or invalid.

    ``problems`` holds every problem found, each naming the file and key path,
    so the editor can fix them all in one go.
    """

    exit_code = 2

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class SourceError(DigestError):
    """A feed or page could not be read or parsed. Collected in the report unless strict."""

    def __init__(self, where: str, reason: str):
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")


class BuildError(DigestError):
    """The issue could not be built (nothing to publish, strict-mode failures...)."""


class ConversionError(DigestError):
    """An external converter (calibre) failed, crashed or timed out."""
