"""The calendar month an issue covers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from digest.core.errors import ConfigError

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR = 1970
# The end of a month is the 1st of the next, and a datetime stops at year 9999: keep a year of room.
LAST_YEAR = 9998


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH_RE.match(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
            raise ConfigError(f"month {text!r}: expected YYYY-MM between {FIRST_YEAR}-01 and {LAST_YEAR}-12, "
                              f"e.g. 2018-01")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """Human name, e.g. 'January 2018'."""
        return datetime(self.year, self.month, 1).strftime("%B %Y")

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) of the month as aware datetimes in ``tz``."""
        nxt = self.next()
        return (
            datetime(self.year, self.month, 1, tzinfo=tz),
            datetime(nxt.year, nxt.month, 1, tzinfo=tz),
        )

    def contains(self, moment: datetime, tz: ZoneInfo) -> bool:
        start, end = self.bounds(tz)
        return start <= moment < end

    @property
    def issue_date(self) -> datetime:
        """The fixed moment stamped into a reproducible build: the 1st of the month, 00:00 UTC.

        Dates inside the book come from the issue, never from the clock.
        """
        return datetime(self.year, self.month, 1, tzinfo=timezone.utc)
