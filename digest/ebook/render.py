"""Render an Issue into XHTML pages with the Jinja2 theme.

The default theme lives in ``templates/`` (pages) and ``assets/css/`` (style); a user
folder named in the config overrides either, file by file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
from lxml import etree

from digest.core.errors import BuildError
from digest.core.models import Article, Issue
from digest.core.theme import DEFAULT_CSS, DEFAULT_TEMPLATES

STYLESHEET = "digest.css"
COVER_PAGE = "cover.xhtml"
CONTENTS_PAGE = "contents.xhtml"


@dataclass(frozen=True)
class Page:
    """One XHTML document of the book, in reading order."""

    file_name: str
    title: str
    kind: str
    """cover, masthead, contents, note, section, article, further or links."""
    xhtml: str
    parent: str | None = None
    """File name of the section page this page sits under in the table of contents."""
    description: str = ""
    authors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Theme:
    templates: jinja2.Environment
    css: str

    @classmethod
    def load(cls, user_dir: Path | None = None) -> Theme:
        env = template_environment(([user_dir] if user_dir else []) + [DEFAULT_TEMPLATES])
        env.filters["longdate"] = lambda moment: moment.strftime("%B %-d, %Y")
        env.filters["people"] = _people
        css_path = user_dir / STYLESHEET if user_dir and (user_dir / STYLESHEET).is_file() else DEFAULT_CSS
        return cls(env, css_path.read_text(encoding="utf-8"))


def template_environment(search: list[Path]) -> jinja2.Environment:
    """Templates looked up folder by folder (a user's theme first); undefined names are errors."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(folder) for folder in search]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _people(names) -> str:
    names = list(names)
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]


def article_file(article: Article) -> str:
    return f"{article.id}.xhtml"


def section_file(section_id: str) -> str:
    return f"section-{section_id}.xhtml"


def render_pages(issue: Issue, theme: Theme, cover_href: str) -> tuple[Page, ...]:
    """Every page of the issue, in spine order, each checked to be well-formed XHTML."""
    zone = issue.publication.zone
    articles = list(issue.articles)
    base = {"issue": issue, "publication": issue.publication, "stylesheet": STYLESHEET,
            "contents_href": CONTENTS_PAGE, "cover_href": cover_href, "zone": zone,
            "article_file": article_file, "section_file": section_file}
    pages: list[Page] = []

    def add(template: str, file_name: str, title: str, kind: str, parent: str | None = None,
            description: str = "", authors: tuple[str, ...] = (), **context) -> None:
        xhtml = _render(theme, template, title=title, file_name=file_name, **base, **context)
        pages.append(Page(file_name, title, kind, xhtml, parent, description, authors))

    add("cover.xhtml", COVER_PAGE, "Cover", "cover")
    add("masthead.xhtml", "masthead.xhtml", issue.title, "masthead")
    add("contents.xhtml", CONTENTS_PAGE, "In this issue", "contents")
    if issue.note_html:
        add("note.xhtml", "note.xhtml", "From the editor", "note")
    for section in issue.sections:
        sec_file = section_file(section.section.id)
        add("section.xhtml", sec_file, section.section.title, "section", section=section,
            description=section.section.description)
        for article in section.articles:
            index = articles.index(article)
            add("article.xhtml", article_file(article), article.title, "article", parent=sec_file,
                description=article.description, authors=article.authors, article=article,
                section=section,
                previous=articles[index - 1] if index > 0 else None,
                next=articles[index + 1] if index + 1 < len(articles) else None)
    if issue.curated:
        add("further.xhtml", "further.xhtml", "Further reading", "further",
            description="Curated pointers for the month")
        for group in issue.curated:
            add("links.xhtml", f"{group.id}.xhtml", group.title, "links", parent="further.xhtml",
                description=f"{len(group.links)} link{'s' if len(group.links) != 1 else ''}", group=group)
    return tuple(pages)


def _render(theme: Theme, template: str, **context) -> str:
    try:
        xhtml = theme.templates.get_template(template).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise BuildError(f"{exc.filename or exc.name}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise BuildError(f"template {template}: {exc}") from None
    try:
        etree.fromstring(xhtml.encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        raise BuildError(f"template {template} produced malformed XHTML ({context['file_name']}): {exc}") from None
    return xhtml
