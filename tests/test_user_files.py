"""The files an editor writes: read whatever their editor saved (a BOM), and every mistake in
them named by file and line with what to do."""

from __future__ import annotations

import pytest
from factory import write_publication
from lxml import etree

from digest.core.configfile import load_config
from digest.core.errors import BuildError, ConfigError
from digest.core.month import Month
from digest.ingest.issuefile import load_issue
from digest.pipeline import compose_issue

BOM = "\ufeff"


def problems_of(call) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        call()
    return str(caught.value).splitlines()


def test_a_bom_is_accepted_in_the_config_the_issue_file_and_the_note(project_copy):
    for name in ("digest.toml", "issues/2018-01.toml", "issues/2018-01.md"):
        path = project_copy / name
        path.write_text(BOM + path.read_text(encoding="utf-8"), encoding="utf-8")
    (project_copy / "issues" / "2018-01.md").write_text(BOM + "## A heading\n\nThe note.\n", encoding="utf-8")
    config = load_config(project_copy / "digest.toml")
    spec = load_issue(config, Month.parse("2018-01"))
    assert spec.number == 1 and BOM not in spec.note
    composed = compose_issue(config, Month.parse("2018-01"))
    note = next(page for page in composed.pages if page.kind == "note")
    heading = etree.fromstring(note.xhtml.encode()).find(".//{*}h2")
    assert heading is not None and heading.text == "A heading"
    assert BOM not in note.xhtml


def test_the_note_is_signed_by_the_publisher_when_no_editor_is_named(project_copy):
    write_publication(project_copy, sample=True, publication={"editor": None})
    composed = compose_issue(load_config(project_copy / "digest.toml"), Month.parse("2018-01"))
    note = next(page for page in composed.pages if page.kind == "note")
    signature = etree.fromstring(note.xhtml.encode()).find(".//{*}p[@class='signature']")
    assert signature is not None and signature.text == "Architecture Monthly Editors"
    assert note.authors == ("Architecture Monthly Editors",)


SOURCE = '[[sources]]\nname = "A"\nurl = "assets/sample-feeds/architecture.xml"\nsection = "architecture"\n'


@pytest.mark.parametrize(("mistake", "line", "said"), [
    # [sources] once where the rest of the file has [[sources]]
    (SOURCE.replace("[[sources]]", "[sources]").replace('"A"', '"B"'), 0,
     "[sources] here, but [[sources]] at line {first}: write [[sources]] (two brackets)"),
    ('[publication]\ntitle = "Again"\n', 0, "table [publication] declared twice (first at line {publication})"),
    ('[delivery]\nhost = "a"\nhost = "b"\n', 3,
     "key 'host' set twice in the same table (first at line {key}): keep one"),
    ('[images]\ngrayscale = yes\n', 2, 'invalid value: text goes in double quotes'),
])
def test_toml_mistakes_name_the_line_and_what_to_do(project_copy, mistake, line, said):
    path = project_copy / "digest.toml"
    text = path.read_text(encoding="utf-8")
    first = 1 + text.splitlines().index("[[sources]]")
    publication = 1 + text.splitlines().index("[publication]")
    at = len(text.splitlines()) + 1  # the first line of the mistake
    path.write_text(text + mistake, encoding="utf-8")
    (problem,) = problems_of(lambda: load_config(path))
    expected_line = at + (line - 1 if line else 0)
    assert problem.startswith(f"{path}:{expected_line}: invalid TOML: "), problem
    assert said.format(first=first, publication=publication, key=at + 1) in problem
    assert "(at line" not in problem  # the parser's own wording is not repeated


def test_key_and_value_problems_carry_the_line_of_the_key(project_copy):
    path = project_copy / "digest.toml"
    original = path.read_text(encoding="utf-8")
    lines = original.splitlines()
    at = lines.index("[[sources]]")
    lines.insert(at + 1, "max_articles = -1")
    lines.insert(at + 1, "nmae = 'typo'")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = problems_of(lambda: load_config(path))
    assert f"{path}:{at + 3}: sources[0].max_articles: must be at least 0, got -1" in problems, problems
    assert any(p.startswith(f"{path}:{at + 2}: sources[0].nmae: unknown key") for p in problems), problems
    path.write_text(original, encoding="utf-8")
    issue = project_copy / "issues" / "2018-01.toml"
    issue.write_text('number = "one"\n\n[[links]]\nkind = "podcast"\nurl = "https://example.org/"\n', encoding="utf-8")
    problems = problems_of(lambda: load_issue(load_config(path), Month.parse("2018-01")))
    assert f"{issue}:1: number: expected an integer, got str" in problems
    assert any(p.startswith(f"{issue}:4: links[0].kind: unknown kind 'podcast'") for p in problems), problems


def test_a_missing_key_names_the_line_of_its_table(project_copy):
    path = project_copy / "digest.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('publisher = "Architecture Monthly Editors"\n', ""), encoding="utf-8")
    header = 1 + text.splitlines().index("[publication]")
    assert f"{path}:{header}: publication.publisher: required key is missing" in problems_of(lambda: load_config(path))


def test_a_misspelt_attribute_in_a_template_names_the_template_and_line(project_copy):
    theme = project_copy / "theme"
    theme.mkdir()
    (theme / "contents.xhtml").write_text(
        '{% extends "layout.xhtml" %}\n{% block body %}\n<h1>In this issue</h1>\n'
        '<p>{{ issue.titel }}</p>\n{% endblock %}\n', encoding="utf-8")
    write_publication(project_copy, sample=True, output={"templates": "theme"})
    with pytest.raises(BuildError) as caught:
        compose_issue(load_config(project_copy / "digest.toml"), Month.parse("2018-01"))
    assert str(caught.value).startswith(f"{theme / 'contents.xhtml'}:4: template error: "), caught.value
    assert "titel" in str(caught.value)
