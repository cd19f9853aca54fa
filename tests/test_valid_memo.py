"""Article bodies that passed the XHTML schema are not validated again; a failing or changed one is."""

from __future__ import annotations

import dataclasses

import pytest

from digest.core.month import Month
from digest.core.stores import open_cache
from digest.ebook import validate
from digest.ebook.quarantine import vet_articles
from digest.ebook.validmemo import ValidatedFragments
from digest.pipeline import compose_issue

BROKEN = "<p>Intro <div>boxed words</div></p><ul>loose words<li>an item</li></ul>"


@pytest.fixture(scope="module")
def issue(sample_config):
    if validate.fragment_errors({"probe": "<p>x</p>"}) is None:
        pytest.skip("Jing cannot run here")
    return compose_issue(sample_config, Month(2018, 1)).issue


@pytest.fixture
def jing_runs(monkeypatch):
    """How many pages each Jing start validated, one number per start."""
    runs: list[int] = []
    real = validate.run_external

    def counting(command, **kwargs):
        runs.append(sum(1 for part in command if part.endswith(".xhtml")))
        return real(command, **kwargs)

    monkeypatch.setattr(validate, "run_external", counting)
    return runs


def with_first_body(issue, body):
    victim = issue.articles[0]
    changed = dataclasses.replace(victim, body=body)
    sections = tuple(dataclasses.replace(s, articles=tuple(changed if a.id == victim.id else a for a in s.articles))
                     for s in issue.sections)
    return dataclasses.replace(issue, sections=sections)


def test_bodies_that_passed_do_not_start_jing_again(issue, tmp_path, jing_runs):
    plain = vet_articles(issue)
    with open_cache(tmp_path / "s.sqlite3") as store:
        first = vet_articles(issue, validate=ValidatedFragments(store).errors)
        started_first = list(jing_runs)
        again = vet_articles(issue, validate=ValidatedFragments(store).errors)
    assert first == again == plain == (issue, ())
    assert started_first == [len(issue.articles)] * 2  # the plain run, then the memo's first
    assert jing_runs == started_first  # the second build started no Jing


def test_a_changed_body_is_validated_again_and_a_failing_one_every_time(issue, tmp_path, jing_runs):
    edited = with_first_body(issue, issue.articles[0].body + "<p>One more paragraph.</p>")
    broken = with_first_body(issue, BROKEN)
    with open_cache(tmp_path / "s.sqlite3") as store:
        vet_articles(issue, validate=ValidatedFragments(store).errors)
        jing_runs.clear()
        assert vet_articles(edited, validate=ValidatedFragments(store).errors) == (edited, ())
        assert jing_runs == [1]  # only the edited body
        jing_runs.clear()
        first = vet_articles(broken, validate=ValidatedFragments(store).errors)
        again = vet_articles(broken, validate=ValidatedFragments(store).errors)
    assert first == again == vet_articles(broken)
    assert "shown simplified" in first[1][0].reason
    # The broken body and its simplified form; on the second build the broken body only (its
    # simplified form passed and is remembered); then the plain run's whole batch and its simplified form.
    assert jing_runs == [1, 1, 1, len(issue.articles), 1]
