"""The exception hierarchy. Only the CLI turns these into messages and exit codes."""

from __future__ import annotations

import errno


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


class ExtractionError(SourceError):
    """A fetched page has no usable content: no main text, or neither HTML nor PDF."""


class BuildError(DigestError):
    """The issue could not be built (nothing to publish, strict-mode failures...)."""


class ConversionError(DigestError):
    """An external converter (calibre) failed, crashed or timed out."""


class StoreError(DigestError):
    """The SQLite store cannot be opened or migrated (e.g. it is newer than this code)."""


class UnusableStore(StoreError):
    """A database file is damaged (``damaged``) or was migrated by a newer digest."""

    def __init__(self, message: str, *, damaged: bool = False):
        self.damaged = damaged
        super().__init__(message)


class DeliveryError(DigestError):
    """A send cannot start or go on: nothing published, file too large, SMTP login refused..."""


class NotKindleReady(BuildError):
    """The built book fails EPUBCheck or a Kindle rule, so it is not published."""


class UnreadableBookError(DigestError):
    """A book given to ``digest check`` is missing, not an EPUB, or a folder without one."""

    exit_code = 2


class MissingToolError(DigestError):
    """A checker that was asked for cannot run here (e.g. Ace by DAISY without Node.js or Chromium)."""

    exit_code = 2


class BundleError(DigestError):
    """A bundle or manifest is missing or unreadable, or there is nothing to bundle."""

    exit_code = 2


class ImageError(DigestError):
    """An image cannot go into the book (corrupt, unsupported, a bomb, a tracking pixel...).

    The caller drops the image, keeps its alt text and lists it in the build report.
    """

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}" if source else reason)


class MachineError(DigestError):
    """The machine refused to store a file: disk full, read-only, permission denied, name too long.

    Raised (by ``machine_error``) from the OSError at the CLI; what was published stays as it
    was, since every output is staged and swapped into place only when complete.
    """

    exit_code = 3


# The conditions of the world, not bugs, an OSError can report; each gets one line, no traceback.
MACHINE_CONDITIONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for this filesystem or process",
    errno.EROFS: "the filesystem is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENAMETOOLONG: "file name too long",
}


def machine_error(exc: OSError) -> MachineError | None:
    """The one-line error for an OSError caused by the machine, or None for any other OSError."""
    condition = MACHINE_CONDITIONS.get(exc.errno or 0)
    if condition is None:
        return None
    where = exc.filename if exc.filename is not None else "the output"
    return MachineError(f"{where}: {condition}; nothing published was replaced")
