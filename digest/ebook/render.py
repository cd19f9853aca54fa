"""Render an Issue into XHTML pages with the Jinja2 theme.

The default theme lives in ``templates/`` (pages) and ``assets/css/`` (style); a user
folder named in the config overrides either, file by file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
from lxml import etree

from digest.content.issue.articles import one_line
from digest.content.text.sanitize import html_text
from digest.core.errors import BuildError
from digest.core.models import Article, CuratedGroup, CuratedLink, Issue
from digest.core.theme import DEFAULT_CSS, DEFAULT_TEMPLATES
from digest.core.tomltext import USER_TEXT_ENCODING
from digest.core.vocabulary import LINK_NOUNS

BRIEF_PAGES = {"whitepaper": ("whitepaper.xhtml", "whitepaper"),
               "reference-architecture": ("architecture.xhtml", "architecture")}
"""Curated-link kinds that get a page of their own when their document was read: (template, page kind)."""

STYLESHEET = "digest.css"
COVER_PAGE = "cover.xhtml"
CONTENTS_PAGE = "contents.xhtml"
FURTHER_PAGE = "further.xhtml"


@dataclass(frozen=True)
class Page:
    """One XHTML document of the book, in reading order."""

    file_name: str
    title: str
    kind: str
    """cover, masthead, contents, note, section, article, further, whitepaper or architecture."""
    xhtml: str
    parent: str | None = None
    """File name of the section page this page sits under in the table of contents."""
    description: str = ""
    authors: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()
    """Places inside the page that the table of contents lists under it."""


@dataclass(frozen=True)
class Part:
    """A titled place inside a page (a kind of curated link on the further-reading page)."""

    fragment: str
    title: str
    description: str = ""
    authors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Theme:
    templates: jinja2.Environment
    css: str

    @classmethod
    def load(cls, user_dir: Path | None = None, code: jinja2.BytecodeCache | None = None) -> Theme:
        """The theme (``user_dir``'s templates first); ``code`` keeps the compiled templates."""
        env = template_environment(([user_dir] if user_dir else []) + [DEFAULT_TEMPLATES], code)
        env.filters["longdate"] = lambda moment: moment.strftime("%B %-d, %Y")
        env.filters["people"] = _people
        env.filters["reading"] = reading_line
        env.filters["oneline"] = one_line
        env.filters["brief"] = brief_line
        css_path = user_dir / STYLESHEET if user_dir and (user_dir / STYLESHEET).is_file() else DEFAULT_CSS
        return cls(env, css_path.read_text(encoding=USER_TEXT_ENCODING))


def template_environment(search: list[Path], code: jinja2.BytecodeCache | None = None) -> jinja2.Environment:
    """Templates looked up folder by folder (a user's theme first); undefined names are errors."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(folder) for folder in search], encoding=USER_TEXT_ENCODING),
        bytecode_cache=code,
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


def reading_line(article: Article) -> str:
    """'6 min read · 1,240 words': how long an article is, before a reader opens it."""
    return f"{article.reading_minutes} min read · {article.word_count:,} word{'s' if article.word_count != 1 else ''}"


def article_file(article: Article) -> str:
    return f"{article.id}.xhtml"


def section_file(section_id: str) -> str:
    return f"section-{section_id}.xhtml"


def render_pages(issue: Issue, theme: Theme, cover_href: str) -> tuple[Page, ...]:
    """Every page of the issue, in spine order, each checked to be well-formed XHTML."""
    zone = issue.publication.zone
    articles = list(issue.articles)
    briefs = brief_files(issue)
    base = {"issue": issue, "publication": issue.publication, "stylesheet": STYLESHEET,
            "contents_href": CONTENTS_PAGE, "cover_href": cover_href, "zone": zone,
            "article_file": article_file, "section_file": section_file, "brief_files": briefs}
    pages: list[Page] = []

    def add(template: str, file_name: str, title: str, kind: str, parent: str | None = None,
            description: str = "", authors: tuple[str, ...] = (), parts: tuple[Part, ...] = (),
            **context) -> None:
        xhtml = _render(theme, template, title=title, file_name=file_name, **base, **context)
        pages.append(Page(file_name, title, kind, xhtml, parent, description, authors, parts))

    add("cover.xhtml", COVER_PAGE, "Cover", "cover")
    add("masthead.xhtml", "masthead.xhtml", issue.title, "masthead")
    add("contents.xhtml", CONTENTS_PAGE, "In this issue", "contents")
    if issue.note_html:
        signed = issue.publication.editor or issue.publication.publisher
        add("note.xhtml", "note.xhtml", "From the editor", "note", description=one_line(html_text(issue.note_html)),
            authors=(signed,))
    index = -1  # the article's place in the issue (articles.index compares whole articles: quadratic)
    for section in issue.sections:
        sec_file = section_file(section.section.id)
        add("section.xhtml", sec_file, section.section.title, "section", section=section,
            description=section.section.description)
        for article in section.articles:
            index += 1
            add("article.xhtml", article_file(article), article.title, "article", parent=sec_file,
                description=f"{article.description} ({reading_line(article)})".lstrip(),
                authors=article.authors, article=article,
                section=section,
                previous=articles[index - 1] if index > 0 else None,
                next=articles[index + 1] if index + 1 < len(articles) else None)
    if issue.curated:
        parts = tuple(Part(group.id, group.title, group_description(group),
                           tuple(dict.fromkeys(link.domain for link in group.links)))
                      for group in issue.curated)
        add("further.xhtml", FURTHER_PAGE, "Further reading", "further", parts=parts,
            description=f"{sum(len(g.links) for g in issue.curated)} links worth your time this month")
    for link in (link for group in issue.curated for link in group.links if link.url in briefs):
        template, kind = BRIEF_PAGES[link.kind]
        add(template, briefs[link.url], link.title, kind, parent=FURTHER_PAGE, description=brief_line(link),
            authors=(link.brief.authors if link.brief else ()) or (link.domain,), link=link)
    return tuple(pages)


def brief_files(issue: Issue) -> dict[str, str]:
    """The file name of each curated link that has a page of its own, by URL, numbered per kind."""
    files: dict[str, str] = {}
    for group in issue.curated:
        pages = [link for link in group.links if link.brief is not None and link.kind in BRIEF_PAGES]
        for number, link in enumerate(pages, start=1):
            files.setdefault(link.url, f"{BRIEF_PAGES[link.kind][1]}-{number}.xhtml")
    return files


def brief_line(link: CuratedLink) -> str:
    """'Whitepaper, 8 pages: ...' for the contents and the Kindle's article list."""
    brief = link.brief
    noun = LINK_NOUNS[link.kind][0].capitalize()
    size = f", {brief.page_count} pages" if brief is not None and brief.page_count else ""
    text = (brief.paragraphs[0] if brief is not None and brief.paragraphs else "") or link.summary
    return one_line(f"{noun}{size}: {text}" if text else f"{noun}{size}")


def group_description(group: CuratedGroup) -> str:
    """'3 whitepapers: A; B; C' for the Kindle's article list."""
    count = len(group.links)
    noun = LINK_NOUNS[group.kind][count != 1]
    return one_line(f"{count} {noun}: " + "; ".join(link.title for link in group.links))


def _render(theme: Theme, template: str, **context) -> str:
    try:
        xhtml = theme.templates.get_template(template).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise BuildError(f"{exc.filename or exc.name}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise BuildError(f"{_template_position(exc) or template}: template error: {exc}") from None
    try:
        etree.fromstring(xhtml.encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        raise BuildError(f"template {template} produced malformed XHTML ({context['file_name']}): {exc}") from None
    return xhtml


def _template_position(exc: BaseException) -> str:
    """``file:line`` of the template line that failed (a misspelt attribute is found only
    while rendering): Jinja maps its frames back to the template's file and line."""
    position = ""
    traceback = exc.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if not filename.endswith(".py") and not filename.startswith("<"):
            position = f"{filename}:{traceback.tb_lineno}"
        traceback = traceback.tb_next
    return position
