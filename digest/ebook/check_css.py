"""Just enough CSS parsing (tinycss2) for the Kindle rules: declarations with their selectors.

A sheet is (where, CSS text, tag): the tag is None for style sheets and <style> elements,
and the element's name for a ``style`` attribute, which then acts as the selector.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import tinycss2
from tinycss2.ast import Declaration

Sheet = tuple[str, str, str | None]


def declarations(sheets: Iterable[Sheet]) -> Iterator[tuple[str, set[str], Declaration]]:
    """(where, selectors of the rule, declaration) for every declaration; inline styles get their tag."""
    for where, text, inline_tag in sheets:
        if inline_tag is not None:
            for declaration in _declarations(tinycss2.parse_declaration_list(text, True, True)):
                yield where, {inline_tag}, declaration
            continue
        for selectors, content in _qualified_rules(tinycss2.parse_stylesheet(text, True, True)):
            for declaration in _declarations(tinycss2.parse_declaration_list(content, True, True)):
                yield where, selectors, declaration


def _qualified_rules(rules: list) -> Iterator[tuple[set[str], list]]:
    for rule in rules:
        if rule.type == "qualified-rule":
            selectors = {part.strip().lower() for part in tinycss2.serialize(rule.prelude).split(",")}
            yield selectors, rule.content
        elif rule.type == "at-rule" and rule.content is not None:
            if rule.lower_at_keyword in ("media", "supports"):
                yield from _qualified_rules(tinycss2.parse_rule_list(rule.content, True, True))
            else:
                yield {f"@{rule.lower_at_keyword}"}, rule.content


def imports(sheets: Iterable[Sheet]) -> Iterator[tuple[str, str]]:
    """(where, URL) of every @import."""
    for where, text, inline_tag in sheets:
        if inline_tag is None:
            for rule in tinycss2.parse_stylesheet(text, True, True):
                if rule.type == "at-rule" and rule.lower_at_keyword == "import":
                    yield from ((where, url) for url in urls(rule.prelude, strings=True))


def _declarations(nodes: list) -> Iterator[Declaration]:
    return (node for node in nodes if node.type == "declaration")


def _walk(tokens: list) -> Iterator:
    for token in tokens:
        yield token
        if token.type in ("function", "() block", "[] block", "{} block"):
            yield from _walk(token.arguments if token.type == "function" else token.content)


def functions(tokens: list) -> set[str]:
    return {token.lower_name for token in _walk(tokens) if token.type == "function"}


def idents(tokens: list) -> set[str]:
    return {token.lower_value for token in _walk(tokens) if token.type == "ident"}


def urls(tokens: list, strings: bool = False) -> Iterator[str]:
    for token in _walk(tokens):
        if token.type == "url" or (strings and token.type == "string"):
            yield token.value
        elif token.type == "function" and token.lower_name == "url":
            yield from (arg.value for arg in token.arguments if arg.type == "string")
