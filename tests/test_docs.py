"""The repository explains itself: no file points a reader at a document it does not ship."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_tracked_file_refers_to_a_design_document_outside_the_repository():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    offenders = [f for f in files if f.endswith((".py", ".md", ".yaml", ".yml", ".toml"))
                 and f != "tests/test_docs.py"
                 and "DESIGN.md" in (ROOT / f).read_text(encoding="utf-8", errors="replace")]
    assert offenders == [], "point these at docs/categories.md or the README instead"
