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
        epubcheck = checkers.epubcheck
        assert isinstance(epubcheck, WarmJava)
        os.killpg(epubcheck._process.pid, signal.SIGKILL)
        epubcheck._process.wait()
        report = check_epub(broken, runner=epubcheck)
    assert {finding.rule for finding in report.violations} == {"language", "epubcheck"}


def test_the_warm_process_is_stopped_when_the_build_leaves(sample_epub):
    with primed_checkers() as checkers:
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
    with primed_checkers(ahead=False) as checkers:
        epubcheck = checkers.epubcheck
        assert isinstance(epubcheck, WarmJava) and epubcheck._process is None and not checkers.asked
        assert epubcheck(sample_epub) == ((), ())
        assert checkers.asked and epubcheck._process.poll() is None


@pytest.mark.slow  # three builds
def test_a_rebuild_starts_no_java_when_the_last_build_of_the_month_asked_it_nothing(project_copy, monkeypatch):
    config = load_config(project_copy / "digest.toml")
    first = build_issue(config, Month(2018, 1))
    build_issue(config, Month(2018, 1))  # everything remembered: java started ahead, asked nothing
    started = []
    monkeypatch.setattr(primed, "start_external", lambda args: started.append(args) or pytest.fail("java started"))
    again = build_issue(config, Month(2018, 1))
    assert started == [] and again.epub.read_bytes() == first.epub.read_bytes()
