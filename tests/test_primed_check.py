"""The EPUBCheck a build starts ahead (digest.ebook.primed): same findings as a fresh java run,
a fresh run when the warm process is gone, and no java left behind.

Real java and the real EPUBCheck jar throughout, on the sample issue and one broken copy.
"""

from __future__ import annotations

import os
import signal

import pytest

from digest.ebook.check import check_epub, run_epubcheck
from digest.ebook.primed import WarmJava, primed_checkers
from digest.core.configfile import load_config
from digest.core.month import Month
from digest import pipeline
from digest.ebook import check, primed, validate
from digest.pipeline import build_issue
from digest.ebook.validate import fragment_errors
from test_check import BREAKS, mutate


@pytest.fixture(scope="module")
def sample_epub(sample_builds):
    return sample_builds["2018-01"].epub


def test_the_warm_process_finds_what_a_fresh_java_finds(sample_epub, tmp_path):
    broken = mutate(sample_epub, tmp_path / "no-language.epub", BREAKS["language"])
    with primed_checkers() as checkers:
        epubcheck = checkers.epubcheck
        assert isinstance(epubcheck, WarmJava)
        warm_clean, warm_broken = epubcheck(sample_epub), epubcheck(broken)
    assert warm_clean == ((), ())
    fresh = run_epubcheck(broken)
    assert warm_broken == fresh
    assert any("dc:language" in finding.message for finding in warm_broken[0])


def test_a_book_is_checked_by_a_fresh_java_when_the_warm_process_died(sample_epub, tmp_path):
    broken = mutate(sample_epub, tmp_path / "no-language.epub", BREAKS["language"])
    with primed_checkers() as checkers:
        checkers.start_ahead()
        epubcheck = checkers.epubcheck
        assert isinstance(epubcheck, WarmJava)
        os.killpg(epubcheck._process.pid, signal.SIGKILL)
        epubcheck._process.wait()
        report = check_epub(broken, runner=epubcheck)
    assert {finding.rule for finding in report.violations} == {"language", "epubcheck"}


def test_the_warm_process_is_stopped_when_the_build_leaves(sample_epub):
    with primed_checkers() as checkers:
        checkers.start_ahead()
        epubcheck = checkers.epubcheck
        assert isinstance(epubcheck, WarmJava)
        process = epubcheck._process
        assert process.poll() is None
    assert process.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)


def test_the_warm_process_validates_fragments_as_jing_does(monkeypatch):
    fragments = {"fine": "<p>A <em>fine</em> paragraph.</p>",
                 "broken": "<p>A paragraph <div>holding a block</div></p><foo/>",
                 "unclosed": "<p>never closed"}
    fresh = fragment_errors(fragments)
    with primed_checkers() as checkers:
        epubcheck = checkers.epubcheck
        assert isinstance(epubcheck, WarmJava)
        # No fresh java may run: the warm process must answer by itself.
        monkeypatch.setattr(validate, "run_external", lambda *args, **kwargs: pytest.fail("a fresh Jing ran"))
        warm = fragment_errors(fragments, warm=epubcheck.jing)
    assert fresh is not None and warm == fresh
    assert warm["fine"] == () and len(warm["broken"]) == 2 and warm["unclosed"]


def test_a_build_checks_its_book_and_bodies_in_the_warm_process_only(project_copy, monkeypatch):
    for module in (check, validate):
        monkeypatch.setattr(module, "run_external", lambda *args, **kwargs: pytest.fail("a fresh java ran"))
    config = load_config(project_copy / "digest.toml")
    result = build_issue(config, Month(2018, 1))
    assert result.check_notes == () and result.epub.is_file()


def test_a_java_not_started_ahead_starts_when_first_asked(sample_epub):
    with primed_checkers() as checkers:
        epubcheck = checkers.epubcheck
        assert isinstance(epubcheck, WarmJava) and epubcheck._process is None and not epubcheck.asked
        assert epubcheck(sample_epub) == ((), ())
        assert epubcheck.asked and epubcheck._process.poll() is None


@pytest.mark.slow  # three builds
def test_java_is_started_ahead_only_when_the_inputs_differ_from_the_last_builds(project_copy, monkeypatch):
    config = load_config(project_copy / "digest.toml")
    start = primed.start_external
    started = []
    monkeypatch.setattr(primed, "start_external", lambda args: started.append(args) or start(args))
    before_the_feeds = []
    gather = pipeline.gather
    monkeypatch.setattr(pipeline, "gather",
                        lambda *args, **kwargs: before_the_feeds.append(len(started)) or gather(*args, **kwargs))
    first = build_issue(config, Month(2018, 1))
    # A month never built: java warms up from the start, while the feeds are read and the images fitted.
    assert len(started) == 1 and before_the_feeds == [1]

    started.clear()
    again = build_issue(config, Month(2018, 1))  # the same inputs: everything java checked is remembered
    assert started == [] and again.epub.read_bytes() == first.epub.read_bytes()

    note = project_copy / "issues" / "2018-01.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nOne more line from the editor.\n", encoding="utf-8")
    before_the_feeds.clear()
    edited = build_issue(config, Month(2018, 1))  # java checks the new book
    # A month built before: java is started once the feeds show its inputs changed.
    assert len(started) == 1 and before_the_feeds == [0] and edited.epub.is_file()


def test_equal_inputs_have_one_digest_however_their_strings_are_shared(project_copy):
    import dataclasses
    from datetime import datetime, timezone

    from digest.core.models import Entry, IssueSpec
    from digest.ebook.memo import book_inputs

    config = load_config(project_copy / "digest.toml")
    source = "".join(["AWS ", "Architecture Blog"])  # equal to, not the same object as, the other entry's
    shared = Entry(source="AWS Architecture Blog", section="architecture", guid="post", title="Post",
                   link="https://example.org/post", authors=(), published=datetime(2018, 1, 10, tzinfo=timezone.utc),
                   updated=None, summary="", content="<p>Body</p>", categories=(), language="en")
    entries = (shared, dataclasses.replace(shared, guid="other", source=shared.source))
    copies = (shared, dataclasses.replace(shared, guid="other", source=source))
    assert entries == copies and entries[1].source is not copies[1].source
    spec = IssueSpec(Month(2018, 1))
    assert book_inputs(config, spec, entries) == book_inputs(config, spec, copies)
    assert book_inputs(config, spec, entries) != book_inputs(config, spec, entries[:1])
