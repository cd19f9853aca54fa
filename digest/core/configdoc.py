"""The config reference (docs/config.md), written from the config dataclasses' docstrings.

The docstrings in ``digest.core.config`` are the one description of each option; this
turns them into the reference, so the two cannot drift (a test compares them).
Regenerate with ``python -m digest.core.configdoc docs/config.md``.
"""

from __future__ import annotations

import ast
import inspect
import json
import sys
from dataclasses import MISSING, fields
from pathlib import Path

from digest.core import config as config_module
from digest.core.config import (
    Caching,
    Config,
    Delivery,
    Fetching,
    Images,
    Limits,
    LinkPages,
    Listing,
    Output,
    Publication,
    Section,
    Source,
    Storage,
    default,
)
from digest.core.configfile import OUTPUT_FOLDERS

# Each table of digest.toml: its header, the dataclass it fills, and what it is for.
TABLES = (
    ("[publication]", Publication, "Who publishes what. Required."),
    ("[[sections]]", Section, "The parts of the book, in order; at least one."),
    ("[[sources]]", Source, "The feeds, each going to one section; at least one."),
    ("[output]", Output, "What is produced, and where."),
    ("[store]", Storage, "The SQLite files that must not be lost: the record, and the private file of subscribers."),
    ("[cache]", Caching, "The SQLite file of work a rebuild need not redo; it may be deleted at any time."),
    ("[fetch]", Fetching, "How the web is read."),
    ("[images]", Images, "How images are fitted into the book."),
    ("[limits]", Limits, "Caps per source and per issue; what a cap leaves out is reported in one line."),
    ("[[listings]]", Listing, "Web pages whose dated items become curated links (optional)."),
    ("[links]", LinkPages, "Whitepapers and reference architectures as pages of the book (see whitepapers.md)."),
    ("[delivery]", Delivery, "E-mail to Kindles with `digest send` (optional; see kindle.md)."),
)
# Where the key in the file differs from the field's name.
TOML_KEYS: dict[tuple[type, str], str] = {(Output, "templates_dir"): "templates"}


def config_reference() -> str:
    docs = _field_docs()
    lines = [
        "# Config reference (`digest.toml`)",
        "",
        "<!-- Generated from the docstrings in digest/core/config.py by",
        "     `python -m digest.core.configdoc docs/config.md`; do not edit by hand. -->",
        "",
        "Relative paths are resolved against the folder of the config file. A key the",
        "loader does not know is an error (with a suggestion when it looks like a typo).",
        "",
    ]
    for header, options, purpose in TABLES:
        lines += [f"## `{header}`", "", purpose, "", "| key | default | meaning |", "| --- | --- | --- |"]
        for option in fields(options):
            key = TOML_KEYS.get((options, option.name), option.name)
            meaning = " ".join(docs.get((options.__name__, option.name), "").split()).replace("|", "\\|")
            lines.append(f"| `{key}` | {_default(options, option)} | {meaning} |")
        lines.append("")
    return "\n".join(lines)


def _default(options: type, option) -> str:
    if options is Storage:
        value = getattr(default(Config, "store"), option.name)
    elif options is Output and option.name in OUTPUT_FOLDERS:
        value = OUTPUT_FOLDERS[option.name]
    elif option.default is MISSING:
        return "required"
    else:
        value = option.default
    if value is None:
        return "none"
    if isinstance(value, Path):
        value = str(value)
    return f"`{json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)}`"


def _field_docs() -> dict[tuple[str, str], str]:
    """(class, field) -> the string literal that follows the field in the source."""
    tree = ast.parse(inspect.getsource(config_module))
    docs = {}
    for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
        for field, after in zip(cls.body, cls.body[1:]):
            if (isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
                    and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                    and isinstance(after.value.value, str)):
                docs[(cls.name, field.target.id)] = inspect.cleandoc(after.value.value)
    return docs


if __name__ == "__main__":
    text = config_reference()
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
