"""Reading the TOML files a user writes: a BOM tolerated, syntax errors said in plain words,
and the line of every key, so a problem found later can name it.

tomllib gives neither positions of keys nor readable errors ("Cannot declare ('sources',)
twice"); a light scan of the text supplies both. It only has to be right for files that
parsed, and for the line an error points at.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from digest.core.errors import ConfigError

# "utf-8-sig" drops the byte-order mark some editors (Notepad, some Windows tools) write
# first; tomllib and Markdown would otherwise read it as a stray character.
USER_TEXT_ENCODING = "utf-8-sig"

_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY_RE = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")
_AT_RE = re.compile(r"\s*\(at line (\d+), column \d+\)$|\s*\(at end of document\)$")


def read_user_text(path: Path) -> str:
    """A text file the user wrote (config, issue file, note, CSV), BOM or not; ConfigError if unreadable."""
    try:
        return path.read_text(encoding=USER_TEXT_ENCODING)
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None


def read_toml(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """The parsed file and the line of each key path (``sources[1].url``, ``publication``).

    Raises ConfigError naming the file and line, with what to do, for a syntax error;
    FileNotFoundError passes through for the caller to word.
    """
    text = read_user_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(toml_error(path, text, str(exc))) from None
    return data, key_lines(text)


def _key_name(raw: str) -> str:
    return ".".join(part.strip("\"'") for part in re.findall(r"\"[^\"]*\"|'[^']*'|[^.\s]+", raw))


def _statements(text: str):
    """(line number, header kind '[' / '[[' / '', name) for each table header and key, skipping
    the inside of multi-line strings and arrays."""
    depth, in_string = 0, ""
    for number, line in enumerate(text.splitlines(), 1):
        if in_string:
            if in_string in line:
                in_string = ""
            continue
        if depth == 0:
            if header := _HEADER_RE.match(line):
                yield number, header.group(1), _key_name(header.group(2))
                continue
            if key := _KEY_RE.match(line):
                yield number, "", _key_name(key.group(1))
        value = re.sub(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|#.*$', "", line.replace('"""', "\0").replace("'''", "\1"))
        if value.count("\0") % 2 or value.count("\1") % 2:
            in_string = '"""' if value.count("\0") % 2 else "'''"
        depth = max(0, depth + value.count("[") - value.count("]") + value.count("{") - value.count("}"))


def key_lines(text: str) -> dict[str, int]:
    """The line of each table and key, under the key paths TableReader reports (``sources[2].name``)."""
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}
    prefix = ""
    for number, kind, name in _statements(text):
        if kind == "[[":
            index = counts[name] = counts.get(name, -1) + 1
            prefix = f"{name}[{index}]"
            lines.setdefault(prefix, number)
        elif kind == "[":
            prefix = name
            lines.setdefault(prefix, number)
        else:
            lines.setdefault(f"{prefix}.{name}" if prefix else name, number)
    return lines


def toml_error(path: Path, text: str, message: str) -> str:
    """One line for a TOML syntax error: the file, the line, what is wrong, and what to do."""
    at = _AT_RE.search(message)
    what = message[: at.start()] if at else message
    line_no = int(at.group(1)) if at and at.group(1) else len(text.splitlines())
    statements = list(_statements(text))
    here = next(((kind, name) for number, kind, name in statements if number == line_no), None)
    earlier = [(number, kind) for number, kind, name in statements
               if here and name == here[1] and number < line_no]
    advice = _advice(what, here, earlier)
    return f"{path}:{line_no}: invalid TOML: {advice}"


def _advice(what: str, here: tuple[str, str] | None, earlier: list[tuple[int, str]]) -> str:
    kind, name = here or ("", "")
    first = earlier[0][0] if earlier else 0
    if kind and earlier:
        if kind == "[" and any(k == "[[" for _, k in earlier):
            return (f"[{name}] here, but [[{name}]] at line {first}: write [[{name}]] (two brackets) "
                    f"before each entry of the list")
        if kind == "[[" and any(k == "[" for _, k in earlier):
            return (f"[[{name}]] here, but [{name}] at line {first}: write [[{name}]] (two brackets) "
                    f"before each entry of the list")
        return (f"table [{name}] declared twice (first at line {first}): merge the two into one, "
                f"or write [[{name}]] before each if it is a list of entries")
    if what.startswith("Cannot overwrite a value") and kind == "" and earlier:
        return f"key {name!r} set twice in the same table (first at line {first}): keep one"
    if what.startswith("Expected '=' after a key"):
        return "expected key = value on this line"
    if what.startswith("Invalid value"):
        return "invalid value: text goes in double quotes (\"...\"); numbers, true/false, [lists] do not"
    if what.startswith("Illegal character '\\n'"):
        return "a quoted string is not closed on this line"
    if what.startswith("Unclosed"):
        return f"{what[0].lower()}{what[1:]}: a [list] or {{table}} is not closed"
    return f"{what[0].lower()}{what[1:]}" if what else "cannot parse"
