"""The two-level table of contents (section -> article), derived from the pages in spine order."""

from __future__ import annotations

from dataclasses import dataclass

from digest.ebook.render import Page

TOP_LEVEL_KINDS = ("contents", "note", "section", "further")


@dataclass(frozen=True)
class TocEntry:
    title: str
    href: str
    kind: str
    order: int
    """1-based position in reading order (NCX playOrder)."""
    description: str = ""
    authors: tuple[str, ...] = ()
    children: tuple[TocEntry, ...] = ()


@dataclass(frozen=True)
class Landmark:
    type: str
    href: str
    title: str


def build_toc(pages: tuple[Page, ...]) -> tuple[TocEntry, ...]:
    """Top level: contents, editor's note, sections; second level: their pages. Order = spine order."""
    entries: list[TocEntry] = []
    order = 0
    for page in pages:
        if page.kind not in TOP_LEVEL_KINDS:
            continue
        order += 1
        parent_order = order
        children = []
        # Places inside the page come before the pages after it (reading order).
        for part in page.parts:
            order += 1
            children.append(TocEntry(part.title, f"{page.file_name}#{part.fragment}", page.kind, order,
                                     part.description, part.authors))
        for child in (p for p in pages if p.parent == page.file_name):
            order += 1
            children.append(TocEntry(child.title, child.file_name, child.kind, order,
                                     child.description, child.authors))
        entries.append(TocEntry(page.title, page.file_name, page.kind, parent_order,
                                page.description, page.authors, tuple(children)))
    return tuple(entries)


def build_landmarks(pages: tuple[Page, ...]) -> tuple[Landmark, ...]:
    by_kind: dict[str, Page] = {}
    for page in pages:
        by_kind.setdefault(page.kind, page)
    # A forced empty issue (--allow-empty) may have none of these: its contents page starts it.
    body = next((p for p in pages if p.kind in ("note", "section", "further")), by_kind["contents"])
    return (
        Landmark("cover", by_kind["cover"].file_name, "Cover"),
        Landmark("toc", by_kind["contents"].file_name, "Contents"),
        Landmark("bodymatter", body.file_name, "Start reading"),
    )
