"""A rebuild takes the theme's compiled templates from the cache; an edited template is compiled again."""

from __future__ import annotations

import shutil

import jinja2

from digest.core.stores import open_cache
from digest.core.theme import DEFAULT_TEMPLATES
from digest.ebook.render import Theme
from digest.ebook.templatecode import TemplateCode


def compiled(monkeypatch) -> list[str]:
    names: list[str] = []
    real = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        names.append(name)
        return real(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return names


def test_compiled_templates_come_from_the_cache_until_one_is_edited(tmp_path, monkeypatch):
    theme = tmp_path / "theme"
    shutil.copytree(DEFAULT_TEMPLATES, theme)
    names = compiled(monkeypatch)
    with open_cache(tmp_path / "cache.sqlite3") as cache:
        first = Theme.load(theme, TemplateCode(cache)).templates.get_template("cover.xhtml")
        assert names == ["cover.xhtml"]
        again = Theme.load(theme, TemplateCode(cache)).templates.get_template("cover.xhtml")
        assert names == ["cover.xhtml"]  # not compiled again
        (theme / "cover.xhtml").write_text((theme / "cover.xhtml").read_text() + "\n<!-- edited -->\n")
        Theme.load(theme, TemplateCode(cache)).templates.get_template("cover.xhtml")
    assert names == ["cover.xhtml", "cover.xhtml"]  # the edit changed the source's checksum
    assert again.root_render_func.__code__.co_code == first.root_render_func.__code__.co_code
