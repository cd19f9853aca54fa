"""Where the default theme (templates, stylesheet, cover fonts) lives.

In a checkout the theme is the top-level ``templates/`` and ``assets/`` folders; a wheel
carries the same files inside the package as ``digest/_theme/`` (see pyproject.toml).
One resolver serves both, so an installed ``digest`` builds without the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent
_CHECKOUT = {"templates": "templates", "css": "assets/css", "fonts": "assets/fonts", "init": "templates/init",
             "schemas": "schemas"}


def theme_dir(part: str) -> Path:
    """The folder of one part of the default theme: ``templates``, ``css``, ``fonts``, ``init``
    (the files ``digest init`` starts a publication from), or the JSON ``schemas`` the
    published files follow (shipped the same way)."""
    installed = _PACKAGE / "_theme" / part
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / _CHECKOUT[part]


DEFAULT_TEMPLATES = theme_dir("templates")
DEFAULT_CSS = theme_dir("css") / "digest.css"
FONTS = theme_dir("fonts")
