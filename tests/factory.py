"""One factory for the publications tests build: digest.toml, its issue files and feed snapshots.

Tests describe a publication as TOML tables (plain dicts) and get back the path of the
config file; no test writes TOML by hand.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = tomllib.loads((ROOT / "digest.toml").read_text(encoding="utf-8"))

# The smallest publication the loader accepts, in one section; tests add its sources.
MINIMAL = {
    "publication": {"title": "Test Monthly", "publisher": "Tests", "slug": "test", "language": "en", "timezone": "UTC"},
    "sections": [{"id": "main", "title": "Main"}],
    # EPUB only: calibre's conversions take seconds and only the Kindle tests want them.
    "output": {"formats": ["epub"]},
}


def write_publication(root: Path, *, sample: bool = False, issues: dict[str, str] | None = None,
                      **tables) -> Path:
    """Write ``root/digest.toml`` and an ``issues/`` folder; return the config's path.

    ``sample=True`` starts from the repository's sample publication and copies its issue
    files and feed snapshots (unless ``root`` already has them, so a test's edits stay);
    otherwise it starts from ``MINIMAL``. Each table given (``publication``, ``fetch``,
    ``images``, ``output``, ``store``, ``delivery``...) is merged key by key over the
    starting one, and a key set to None is left out; ``sections``, ``sources`` and
    ``listings`` replace the whole array. ``issues`` maps file names to their text.
    """
    base = {**SAMPLE, "output": SAMPLE["output"] | MINIMAL["output"]} if sample else MINIMAL
    merged = {name: _merge(base.get(name), tables.get(name)) for name in base | tables}
    config = {name: value for name, value in merged.items() if value is not None}
    if sample:
        for folder in ("issues", "assets/sample-feeds", "assets/sample-documents"):
            if not (root / folder).exists():
                shutil.copytree(ROOT / folder, root / folder)
    (root / "issues").mkdir(parents=True, exist_ok=True)
    for name, text in (issues or {}).items():
        (root / "issues" / name).write_text(text, encoding="utf-8")
    path = root / "digest.toml"
    path.write_text(to_toml(config), encoding="utf-8")
    return path


def sample_sources(moved: dict[str, str]) -> list[dict]:
    """The sample's sources, each feed snapshot named in ``moved`` (``"compute.atom"``) read
    from the URL it maps to instead."""
    names = [Path(source["url"]).name for source in SAMPLE["sources"]]
    assert set(names) >= moved.keys(), moved  # a misspelt name would leave the sample unchanged
    return [dict(source, url=moved.get(name, source["url"])) for source, name in zip(SAMPLE["sources"], names)]


def _merge(base, override):
    if isinstance(override, dict):
        return {key: value for key, value in ((base or {}) | override).items() if value is not None}
    return base if override is None else override


def to_toml(config: dict) -> str:
    """Tables of scalars and lists, and arrays of such tables: all a digest.toml holds."""
    blocks = []
    for name, value in config.items():
        rows = value if isinstance(value, list) else [value]
        header = f"[[{name}]]" if isinstance(value, list) else f"[{name}]"
        for row in rows:
            blocks.append("\n".join([header, *(f"{key} = {_value(v)}" for key, v in row.items())]))
    return "\n\n".join(blocks) + "\n"


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    # JSON's string escapes are a subset of TOML's basic-string escapes.
    return json.dumps(str(value), ensure_ascii=False)
