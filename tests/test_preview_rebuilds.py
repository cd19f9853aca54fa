"""What a save costs the preview: a note or template edit renders the pages again without
composing the issue (nothing read from the feeds, extracted or cleaned again), any other input
composes it again, and a burst of writes is one rebuild."""

from __future__ import annotations

import os
import shutil

import pytest
from factory import write_publication

from digest.core.month import Month
from digest.ebook.render import DEFAULT_TEMPLATES
from digest.preview import watch
from digest.preview.server import Preview, read_inside

pytestmark = pytest.mark.slow  # a preview server that composes the issue for each test
MONTH = Month.parse("2018-01")
WAIT_SECONDS = 60.0
"""Generous upper bound for a rebuild on a busy machine, not an expectation."""


@pytest.fixture
def config_path(project_copy):
    shutil.copytree(DEFAULT_TEMPLATES, project_copy / "theme")
    return write_publication(project_copy, sample=True, output={"templates": "theme"})


@pytest.fixture
def compositions(monkeypatch):
    """Every composition of the issue the preview makes (one list entry each)."""
    made = []

    def counted(*args, **kwargs):
        made.append(MONTH)
        return compose_issue(*args, **kwargs)

    compose_issue = watch.compose_issue
    monkeypatch.setattr(watch, "compose_issue", counted)
    return made


@pytest.fixture
def preview(config_path, compositions):
    with Preview(config_path, MONTH) as running:
        assert len(compositions) == 1
        yield running


def saved(preview: Preview, path, text: str, *, like_vim: bool = False) -> str:
    """Write ``text`` to ``path`` and wait for the next build; that build's error or None.

    ``like_vim``: as Vim saves, probing the folder with a file named 4913 and moving the old
    file aside to ``name~`` while it writes the new one."""
    with preview.site.current() as (_, state):
        seen = state.version
    if like_vim:
        probe, backup = path.with_name("4913"), path.with_name(path.name + "~")
        probe.write_bytes(b"")
        probe.unlink()
        path.rename(backup)
        path.write_text(text, encoding="utf-8")
        backup.unlink()
    else:
        path.write_text(text, encoding="utf-8")
    after = preview.site.wait_for_change(seen, WAIT_SECONDS)
    assert after is not None and after.version != seen, "no build after the save"
    return after.error


def served(preview: Preview, name: str) -> str:
    with preview.site.current() as (root, _):
        return (root / name).read_text(encoding="utf-8")


def page_titles(preview: Preview) -> dict[str, str]:
    with preview.site.current() as (_, state):
        return dict(state.pages)


def test_a_note_edit_renders_the_pages_without_composing_the_issue_again(preview, config_path, compositions):
    note = config_path.parent / "issues" / f"{MONTH}.md"
    before, masthead = page_titles(preview), served(preview, "masthead.xhtml")
    assert saved(preview, note, "A new note, *edited* while previewing.\n") is None
    assert "<em>edited</em> while previewing" in served(preview, "note.xhtml")
    # The pages the note does not change are served as they were (linked from the retired build).
    assert page_titles(preview) == before and served(preview, "masthead.xhtml") == masthead
    assert len(compositions) == 1


def test_a_note_saved_by_vim_renders_the_pages_without_composing_the_issue_again(preview, config_path,
                                                                                  compositions):
    note = config_path.parent / "issues" / f"{MONTH}.md"
    assert saved(preview, note, "Saved from *Vim*.\n", like_vim=True) is None
    assert "<em>Vim</em>" in served(preview, "note.xhtml")
    assert len(compositions) == 1


def test_a_template_edit_renders_the_pages_without_composing_the_issue_again(preview, config_path, compositions):
    template = config_path.parent / "theme" / "contents.xhtml"
    text = template.read_text(encoding="utf-8")
    assert saved(preview, template, text.replace("<h1>In this issue</h1>", "<h1>Inside this month</h1>")) is None
    assert "<h1>Inside this month</h1>" in served(preview, "contents.xhtml")
    assert len(compositions) == 1


def test_a_broken_template_keeps_the_issue_and_its_fix_renders_it(preview, config_path, compositions):
    template = config_path.parent / "theme" / "contents.xhtml"
    good = template.read_text(encoding="utf-8")
    assert "syntax error" in saved(preview, template, good.replace("<h1>", "{% if %}<h1>", 1))
    assert saved(preview, template, good.replace("<h1>In this issue</h1>", "<h1>Fixed</h1>")) is None
    assert "<h1>Fixed</h1>" in served(preview, "contents.xhtml")
    assert len(compositions) == 1


def test_a_feed_edit_composes_the_issue_again(preview, config_path, compositions):
    feed = config_path.parent / "assets" / "sample-feeds" / "compute.atom"
    text = feed.read_text(encoding="utf-8")
    title = next(t for t in page_titles(preview).values() if f"<title>{t}</title>" in text)
    assert saved(preview, feed, text.replace(f"<title>{title}</title>", "<title>Edited feed title</title>", 1)) is None
    assert "Edited feed title" in page_titles(preview).values()
    assert len(compositions) == 2


def test_a_failed_composition_is_not_reused_by_the_next_note_edit(preview, config_path, compositions):
    good = config_path.read_text(encoding="utf-8")
    assert "publication.slug" in saved(preview, config_path, good.replace(
        'slug = "architecture-monthly"', 'slug = "Not A Slug"'))
    note = config_path.parent / "issues" / f"{MONTH}.md"
    # The config is still broken: a note edit must say so, not show the last good issue as current.
    assert "publication.slug" in saved(preview, note, "Another note.\n")
    assert len(compositions) == 1  # neither broken build got as far as composing
    assert saved(preview, config_path, good) is None
    assert len(compositions) == 2


def test_a_burst_of_writes_is_one_rebuild(preview, config_path, compositions):
    note = config_path.parent / "issues" / f"{MONTH}.md"
    with preview.site.current() as (_, state):
        seen = state.version
    for n in range(5):  # an editor writing a file in several steps
        note.write_text(f"Draft {n} of the note.\n", encoding="utf-8")
    after = preview.site.wait_for_change(seen, WAIT_SECONDS)
    assert after is not None and after.generation == 2
    # Well past the watcher's quiet period: no second build follows.
    assert preview.site.wait_for_change(after.version, 2.0).version == after.version
    assert "Draft 4 of the note." in served(preview, "note.xhtml")


def test_a_symlink_swapped_in_for_a_page_is_not_followed_by_the_next_build(preview, config_path, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret", encoding="utf-8")
    with preview.site.current() as (root, _):
        (root / "masthead.xhtml").unlink()
        os.symlink(secret, root / "masthead.xhtml")
    assert saved(preview, config_path.parent / "issues" / f"{MONTH}.md", "A new note.\n") is None
    with preview.site.current() as (root, _):
        assert read_inside(root, ("masthead.xhtml",)) is None
