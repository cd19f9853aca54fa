"""A build imports the heavy parsers only when it uses them: a rebuild whose caches answer
everything does not pay for trafilatura, readability, BeautifulSoup, feedparser, pypdf or jsonschema,
nor for the QR encoder, the mail modules or the TOML editor."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("trafilatura", "bs4", "feedparser", "pypdf", "py3langid", "numpy", "readability", "jsonschema",
         "segno", "email.policy", "tomlkit")


def test_importing_the_pipeline_and_the_cli_leaves_the_heavy_parsers_out():
    code = ("import json, sys, digest.cli, digest.pipeline; "
            f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(done.stdout) == []
