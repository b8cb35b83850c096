"""The image's build context is an allow-list (.dockerignore): what an
operator keeps next to the checkout never reaches a layer. Built for real
with podman, from scratch, over a copy of the repository."""

import shutil
import subprocess
import tarfile
import uuid

import pytest

from local_platform.image import run
from local_platform.odoo_server import REPO

MARKER = f"secret-{uuid.uuid4().hex}"
SECRET_FILES = (
    "prod.env",
    "secrets/redis-password",
    "tls.key",
    "odoo.conf",
    ".env",
    "session_redis/prod.env",
    "odoo_cloud/tls.pem",
)


@pytest.fixture
def context(tmp_path):
    """The repository's files, the secret-looking ones added."""
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed")
    root = tmp_path / "context"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    for name in filter(None, listed.split("\0")):
        if (REPO / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, root / name)
    for name in SECRET_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"PASSWORD={MARKER}\n")
    (tmp_path / "Containerfile").write_text("FROM scratch\nCOPY . /context\n")
    return root


def layer_files(archive):
    """``{path: content}`` of every file of every layer of ``archive``."""
    files = {}
    with tarfile.open(archive) as image:
        for member in image.getmembers():
            if not (member.isfile() and member.name.endswith(".tar")):
                continue
            with tarfile.open(fileobj=image.extractfile(member)) as layer:
                for entry in layer.getmembers():
                    if entry.isfile():
                        files[entry.name] = layer.extractfile(entry).read()
    return files


def test_no_secret_next_to_the_checkout_reaches_a_layer(context, tmp_path):
    tag = f"localhost/odoo-cloud-context-test:{uuid.uuid4().hex[:8]}"
    run(["podman", "build", "-q", "-f", str(tmp_path / "Containerfile"),
         "-t", tag, str(context)], stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        archive = tmp_path / "image.tar"
        run(["podman", "save", "--format", "docker-archive", "-o", str(archive), tag])
    finally:
        run(["podman", "rmi", "-f", tag], stdout=subprocess.DEVNULL)
    files = layer_files(archive)
    assert "context/session_redis/__manifest__.py" in files
    assert "context/deploy/container/entrypoint.py" in files
    assert "context/odoo_cloud/config.py" in files
    assert not [name for name in files if name.startswith("context/tests/")]
    assert not [name for name, data in files.items() if MARKER.encode() in data]
