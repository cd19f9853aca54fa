"""Typed reads from parsed TOML that collect problems with their key paths.

Used by the config and issue-file loaders so both report every problem at once,
as ``file:LINE: key.path: message`` (digest.core.tomltext finds the lines).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable
from typing import Any

from digest.core.suggest import did_you_mean

_UNSET: Any = object()


class TableReader:
    """Reads one TOML table; all readers of a file share one ``problems`` list."""

    def __init__(self, data: dict[str, Any], file_label: str, prefix: str = "",
                 problems: list[str] | None = None, lines: dict[str, int] | None = None):
        self.data = data
        self.file_label = file_label
        self.prefix = prefix
        self.problems: list[str] = problems if problems is not None else []
        self.lines: dict[str, int] = lines if lines is not None else {}
        self._seen: set[str] = set()
        self._defaults: dict[str, Any] = {}

    def defaults_from(self, options: type) -> TableReader:
        """Take each key's default from the field of the same name of the dataclass ``options``."""
        self._defaults = {f.name: f.default for f in dataclasses.fields(options)
                          if f.default is not dataclasses.MISSING}
        return self

    def _default(self, key: str, given: Any, fallback: Any) -> Any:
        if given is not _UNSET:
            return given
        return self._defaults.get(key, fallback)

    def _path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def problem(self, key: str, message: str) -> None:
        """``file:LINE: key.path: message``; the line of the key, else of its table (a missing key)."""
        line = self.lines.get(self._path(key)) or self.lines.get(self.prefix)
        where = f"{self.file_label}:{line}" if line else self.file_label
        self.problems.append(f"{where}: {self._path(key)}: {message}")

    def _get(self, key: str, required: bool) -> Any:
        self._seen.add(key)
        if key not in self.data:
            if required:
                self.problem(key, "required key is missing")
            return None
        return self.data[key]

    def string(self, key: str, *, required: bool = False, default: str = _UNSET,
               pattern: re.Pattern[str] | None = None, hint: str = "") -> str:
        default = self._default(key, default, "")
        value = self._get(key, required)
        if value is None:
            return default
        if not isinstance(value, str):
            self.problem(key, f"expected a string, got {type(value).__name__}")
            return default
        if required and not value.strip():
            self.problem(key, "must not be empty")
        elif pattern is not None and value and not pattern.match(value):
            self.problem(key, f"invalid value {value!r}" + (f" ({hint})" if hint else ""))
        return value

    def integer(self, key: str, *, default: int = _UNSET, minimum: int | None = None,
                maximum: int | None = None) -> int:
        default = self._default(key, default, 0)
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem(key, f"expected an integer, got {type(value).__name__}")
            return default
        if minimum is not None and value < minimum:
            self.problem(key, f"must be at least {minimum}, got {value}")
            return default
        if maximum is not None and value > maximum:
            self.problem(key, f"must be at most {maximum}, got {value}")
            return default
        return value

    def boolean(self, key: str, *, default: bool = _UNSET) -> bool:
        default = self._default(key, default, False)
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(key, f"expected true or false, got {type(value).__name__}")
            return default
        return value

    def number(self, key: str, *, default: float = _UNSET, minimum: float = 0.0,
               maximum: float = math.inf) -> float:
        """A finite number in [minimum, maximum]: TOML reads ``inf`` and ``nan``, and nan passes every comparison."""
        default = self._default(key, default, 0.0)
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            self.problem(key, f"expected a number, got {type(value).__name__}")
            return default
        if not math.isfinite(value):
            self.problem(key, f"must be a finite number, got {value}")
            return default
        if value < minimum:
            self.problem(key, f"must be at least {minimum:g}, got {value}")
            return default
        if value > maximum:
            self.problem(key, f"must be at most {maximum:g}, got {value}")
            return default
        return float(value)

    def strings(self, key: str, *, default: Iterable[str] = _UNSET, pattern: re.Pattern[str] | None = None,
                choices: Iterable[str] | None = None) -> tuple[str, ...]:
        default = self._default(key, default, ())
        value = self._get(key, False)
        if value is None:
            return tuple(default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(key, "expected a list of strings")
            return tuple(default)
        allowed = tuple(choices) if choices is not None else None
        for item in value:
            if allowed is not None and item not in allowed:
                self.problem(key, f"unknown value {item!r} (expected one of: {', '.join(allowed)})")
            elif pattern is not None and not pattern.match(item):
                self.problem(key, f"invalid value {item!r}")
        return tuple(value)

    def table(self, key: str) -> TableReader:
        value = self._get(key, False)
        if value is not None and not isinstance(value, dict):
            self.problem(key, "expected a table")
            value = None
        return TableReader(value or {}, self.file_label, self._path(key), self.problems, self.lines)

    def tables(self, key: str, *, required: bool = False) -> list[TableReader]:
        value = self._get(key, required)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(key, "expected an array of tables ([[%s]])" % key)
            return []
        if required and not value:
            self.problem(key, "must have at least one entry")
        return [
            TableReader(item, self.file_label, f"{self._path(key)}[{i}]", self.problems, self.lines)
            for i, item in enumerate(value)
        ]

    def unique(self, values: list[str], key: str, field: str) -> None:
        seen: set[str] = set()
        for i, value in enumerate(values):
            if value in seen:
                self.problem(f"{key}[{i}].{field}", f"duplicate {field} {value!r}")
            seen.add(value)

    def done(self) -> None:
        """Report keys nobody asked for: a typo should not be silently ignored."""
        for key in self.data:
            if key not in self._seen:
                self.problem(key, "unknown key" + did_you_mean(key, self._seen))
