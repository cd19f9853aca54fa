"""The publish workflow's supply chain: pinned actions, no stored token, hashed dependencies, no injection."""

from __future__ import annotations

import re
import tomllib

from conftest import ROOT
from test_workflow import WORKFLOW, load, run_actionlint

SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
LOCKS = (ROOT / "requirements.lock", ROOT / "requirements-test.lock")


def steps():
    for name, job in load()["jobs"].items():
        for step in job.get("steps", []):
            yield name, step


def test_every_action_is_pinned_by_commit_with_its_version_in_a_comment():
    used = [step["uses"] for _, step in steps() if "uses" in step]
    assert used and all(SHA_PIN.match(uses) for uses in used), used
    for line in WORKFLOW.read_text().splitlines():
        if re.match(r"^\s*(- )?uses:", line):
            assert re.search(r"@[0-9a-f]{40} # v\d+(\.\d+)*$", line), line


def test_checkout_leaves_no_token_behind():
    checkouts = [step for _, step in steps() if step.get("uses", "").startswith("actions/checkout@")]
    assert checkouts and all(step.get("with", {}).get("persist-credentials") is False for step in checkouts)


def test_no_expression_is_spliced_into_a_shell_script():
    # `${{ ... }}` is pasted into the script before the shell runs it: a crafted value would run as code.
    scripts = [(job, step.get("name", ""), step["run"]) for job, step in steps() if "run" in step]
    assert scripts
    for job, name, script in scripts:
        assert "${{" not in script, f"{job}: {name}"


def test_actionlint_would_catch_an_expression_in_a_script(tmp_path):
    """Guards the check above with the real linter: an untrusted input in `run:` is reported."""
    broken = tmp_path / ".github" / "workflows" / "publish.yml"
    broken.parent.mkdir(parents=True)
    text = WORKFLOW.read_text()
    text = text.replace('run: .venv/bin/digest verify "$FOLDER"',
                        'run: echo "${{ github.event.head_commit.message }}"')
    broken.write_text(text)
    result = run_actionlint(broken)
    assert result.returncode != 0 and "head_commit.message" in result.stdout


def test_python_dependencies_come_from_a_lock_with_hashes():
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r $(LOCK)" in makefile and "--require-hashes -r $(TEST_LOCK)" in makefile
    assert "pip install --quiet -e ." not in makefile  # nothing resolved at install time
    installs = [step["run"] for _, step in steps() if "make deps" in step.get("run", "")]
    assert len(installs) == 2, "both jobs install through make"

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for lock, wanted in zip(LOCKS, (declared["dependencies"],
                                    declared["dependencies"] + declared["optional-dependencies"]["test"])):
        text = lock.read_text()
        requirements = re.findall(r"^([A-Za-z0-9_.-]+)==\S+ \\\n((?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)",
                                  text, re.M)
        pinned = {_normal(name) for name, _ in requirements}
        assert len(requirements) == len(re.findall(r"^[A-Za-z0-9]", text, re.M)), f"{lock.name}: an entry without hashes"
        missing = {_normal(re.split(r"[<>=\[ ;]", spec, 1)[0]) for spec in wanted} - pinned
        assert not missing, f"{lock.name} lacks {sorted(missing)}: run make lock"
        assert "setuptools" in pinned, f"{lock.name}: the build backend is locked too"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()

