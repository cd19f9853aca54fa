"""One bad article never stops an issue: it is shown simplified, or left out, and reported.

Every article body is validated against EPUB's XHTML schema in one batch
(digest.ebook.validate). One that fails is shown in a safe, simplified form: paragraphs,
headings, lists and images only, its words all kept. One that fails even then is left out.
The same quarantine serves the final gate, when EPUBCheck names an article's page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from lxml import etree

from digest.content.text.normalize import HEADINGS, INLINE
from digest.content.text.sanitize import html_text
from digest.core.errors import BuildError
from digest.core.models import Article, Issue, IssueSection, Problem
from digest.ebook.validate import FragmentValidator, fragment_errors

XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def vet_articles(issue: Issue, *, strict: bool = False,
                 validate: FragmentValidator = fragment_errors) -> tuple[Issue, tuple[Problem, ...]]:
    """Validate every article body in one batch; simplify or leave out the ones that fail."""
    articles = issue.articles
    errors = validate({article.id: article.body for article in articles})
    failing = {article.id: errors[article.id] for article in articles if errors and errors[article.id]}
    if not failing:
        return issue, ()
    if strict:
        raise BuildError("strict mode: " + "; ".join(
            f"{_name(a)}: invalid XHTML ({failing[a.id][0]})" for a in articles if a.id in failing))
    return quarantine_articles(issue, failing, validate)


def quarantine_articles(issue: Issue, reasons: Mapping[str, tuple[str, ...]],
                        validate: FragmentValidator = fragment_errors) -> tuple[Issue, tuple[Problem, ...]]:
    """Simplify the articles ``reasons`` names (by id); an article already simple is left out.

    Each simplified body is validated again (when the validator can run); one still
    failing is left out too.
    """
    named = [article for article in issue.articles if article.id in reasons]
    simple = {article.id: simplified(article.body) for article in named}
    again = validate({a.id: simple[a.id] for a in named if simple[a.id] != a.body}) or {}
    changes: dict[str, Article | None] = {}
    problems = []
    for article in named:
        why = reasons[article.id]
        first = f"{why[0]}" + (f" and {len(why) - 1} more" if len(why) > 1 else "")
        still = again.get(article.id)
        if simple[article.id] == article.body or still:
            changes[article.id] = None
            problems.append(Problem(_name(article), f"left out of the issue: its page is not valid XHTML "
                                                    f"even simplified ({(still or why)[0]})"))
        else:
            changes[article.id] = dataclasses.replace(article, body=simple[article.id])
            problems.append(Problem(_name(article), f"shown simplified (paragraphs, headings, lists, images): "
                                                    f"its page was not valid XHTML ({first})"))
    return _replace_articles(issue, changes), tuple(problems)


def simplified(body: str) -> str:
    """``body`` as paragraphs, headings, lists and images only, every word kept."""
    try:
        root = etree.fromstring(f"<div>{body}</div>", XML_PARSER)
    except etree.XMLSyntaxError:
        text = html_text(body)
        return f"<p>{_escape(text)}</p>" if text else ""
    out = etree.Element("div")
    words: list[str] = []

    def flush() -> None:
        text = " ".join("".join(words).split())
        words.clear()
        if text:
            etree.SubElement(out, "p").text = text

    pending = [(root, False)]
    while pending:
        element, closing = pending.pop()
        if closing:
            if element.tag not in INLINE:
                flush()
            if element is not root:
                words.append(element.tail or "")
            continue
        pending.append((element, True))
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag not in INLINE:
            flush()
        if tag in HEADINGS:
            etree.SubElement(out, tag).text = _words(element)
        elif tag in ("ul", "ol"):
            _simple_list(element, etree.SubElement(out, tag))
        elif tag == "img":
            if element.get("src"):
                image = etree.SubElement(etree.SubElement(out, "p"), "img")
                image.set("src", element.get("src"))
                image.set("alt", element.get("alt") or "")
        else:
            words.append(element.text or "")
            pending.extend((child, False) for child in reversed(element))
    return "".join(etree.tostring(child, encoding="unicode") for child in out)


def _simple_list(source, listing) -> None:
    """One item of plain words per item of ``source``, and one per run of content between items."""
    loose = [source.text or ""]

    def item(text: str) -> None:
        text = " ".join(text.split())
        if text:
            etree.SubElement(listing, "li").text = text

    for child in source:
        if child.tag == "li":
            item(" ".join(loose))
            loose.clear()
            item(_words(child))
        else:
            loose.append(_words(child))
        loose.append(child.tail or "")
    item(" ".join(loose))


def _words(element) -> str:
    """The words of ``element``; those of blocks inside it stay apart."""
    parts = []
    for event, node in etree.iterwalk(element, events=("start", "end")):
        block = node.tag not in INLINE
        if event == "start":
            parts.append((" " if block else "") + (node.text or ""))
        elif node is not element:
            parts.append((" " if block else "") + (node.tail or ""))
    return " ".join("".join(parts).split())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _name(article: Article) -> str:
    return f"{article.title!r} ({article.link})" if article.link else repr(article.title)


def _replace_articles(issue: Issue, changes: Mapping[str, Article | None]) -> Issue:
    """``issue`` with articles replaced (or, for None, left out) by id; emptied sections go too."""
    sections = []
    for section in issue.sections:
        articles = tuple(changes.get(a.id, a) for a in section.articles)
        kept = tuple(a for a in articles if a is not None)
        if kept:
            sections.append(IssueSection(section.section, kept))
    return dataclasses.replace(issue, sections=tuple(sections))
