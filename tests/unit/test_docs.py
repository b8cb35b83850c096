"""The reference in docs/ builds as mkdocs.yml says: strict, so that a broken
link or anchor between pages (validation) fails the build. README.md and the
addons' readme fragments, which MkDocs does not read, link into it too."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from markdown.extensions.toc import slugify

REPO = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^()\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
# Each addon's readme/DESCRIPTION.md, CONFIGURE.md, USAGE.md.
FRAGMENTS = sorted(str(p.relative_to(REPO)) for p in REPO.glob("*/readme/*.md"))


def test_the_documentation_builds_in_strict_mode(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict",
         "--site-dir", str(tmp_path / "site")],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr


def anchors(page):
    """The anchors of ``page``'s headings, as MkDocs (and GitHub) name them."""
    text = FENCE.sub("", page.read_text())
    headings = re.findall(r"^#+ (.+)$", text, re.M)
    return {slugify(heading, "-") for heading in headings}


@pytest.mark.parametrize("source", ["README.md", *FRAGMENTS])
def test_links_outside_the_site_reach_a_page_and_its_heading(source):
    path = REPO / source
    broken = []
    for target in LINK.findall(FENCE.sub("", path.read_text())):
        if re.match(r"[a-z]+:", target):
            continue
        name, _, anchor = target.partition("#")
        page = (path.parent / name).resolve() if name else path
        if not page.is_file() or (anchor and anchor not in anchors(page)):
            broken.append(target)
    assert broken == []
