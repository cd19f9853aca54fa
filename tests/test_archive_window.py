"""A build reads back from the record's archive only the entries its month can use."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from digest.core.models import Entry
from digest.core.month import Month
from digest.core.store import open_store
from digest.ingest.archive import ArchiveWindow, archived_entries, month_window, remember_entries

BODY = "<p>An ordinary English post about queues and retries.</p>"


def _entry(title, when, source="Blog"):
    slug = title.lower().replace(" ", "-")
    return Entry(source=source, section="News", guid=f"urn:post:{slug}", title=title,
                 link=f"https://blog.example.org/{slug}/", authors=(), published=when, updated=None,
                 summary="", content=BODY, categories=(), language="en")


def test_a_build_reads_back_its_months_archive_and_its_pins_not_every_month():
    """A year of archive costs a build only its own month: the rest stays compressed in the record."""
    store = open_store(":memory:")
    zone = lambda hours: timezone(timedelta(hours=hours))  # noqa: E731
    entries = [_entry(f"Post {month}-{day}", datetime(2018, month, day, 12, tzinfo=timezone.utc))
               for month in range(1, 13) for day in (1, 15, 28)]
    # Feeds date a moment in their own zone: 1 February in Kiribati is still January in UTC, and
    # 31 January on Baker Island already February.
    entries += [_entry("Kiribati morning", datetime(2018, 2, 1, 10, tzinfo=zone(14))),
                _entry("Baker island night", datetime(2018, 1, 31, 23, tzinfo=zone(-12)))]
    remember_entries(store, "Blog", entries, per_month=100)

    january = {e.title for e in archived_entries(store, ["Blog"], (), month_window(Month(2018, 1)))}
    assert {"Post 1-1", "Post 1-15", "Post 1-28", "Kiribati morning"} <= january
    february = {e.title for e in archived_entries(store, ["Blog"], (), month_window(Month(2018, 2)))}
    assert {"Post 2-1", "Post 2-15", "Post 2-28", "Baker island night"} <= february
    # Nothing from further than the zones' margin: not February's 15th, nor any later month.
    assert not {title for title in january if title.startswith(("Post 2-15", "Post 3", "Post 12"))}
    assert len(january) < 8

    pinned = month_window(Month(2018, 6), ["https://blog.example.org/post-1-15/", "urn:post:post-3-28"])
    june = {e.title for e in archived_entries(store, ["Blog"], (), pinned)}
    assert {"Post 6-1", "Post 6-15", "Post 6-28", "Post 1-15", "Post 3-28"} <= june
    assert "Post 9-1" not in june
    # A window of all dates gives every month back.
    assert len(archived_entries(store, ["Blog"], (), ArchiveWindow(date.min, date.max))) == len(entries)


def test_an_issue_keeps_selecting_exactly_its_month_from_the_windowed_archive():
    """The window only narrows what is read: selection still decides the month, in the publication's zone."""
    store = open_store(":memory:")
    entries = [_entry("Late in January", datetime(2018, 1, 31, 23, 30, tzinfo=timezone.utc)),
               _entry("Early in February", datetime(2018, 2, 1, 0, 30, tzinfo=timezone.utc))]
    remember_entries(store, "Blog", entries, per_month=100)
    read = archived_entries(store, ["Blog"], (), month_window(Month(2018, 1)))
    assert {e.title for e in read} == {"Late in January", "Early in February"}
    assert [e.title for e in read if Month(2018, 1).contains(e.date, ZoneInfo("UTC"))] == ["Late in January"]
