"""``make image``: the container image of each Odoo tree of ``ODOO_SRC``,
built with podman from the repository's ``Containerfile`` and tagged
``odoo-cloud:<series>``.

No image registry is reachable here: the Debian base is made on first use
with ``debootstrap`` into a directory and ``podman import``, then reused.
Inside a build, apt and pip reach the package registries through the host's
own configuration, mounted read-only for the build only: it is never copied
into the repository nor into the image.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .errors import PlatformError
from .odoo_trees import configured_trees
from .serve import SUITE_LOAD

REPO = Path(__file__).resolve().parents[1]
CONTAINERFILE = REPO / "Containerfile"
# runc, cgroupfs and no default ulimits: what podman needs on these machines.
CONTAINERS_CONF = REPO / "deploy" / "container" / "containers.conf"
DEBIAN_RELEASE = "bookworm"
DEBIAN_MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
BASE_IMAGE = f"localhost/odoo-cloud-base:{DEBIAN_RELEASE}"
# Whatever of it exists on the host: apt's sources, pip's settings, and the
# certificates pip trusts (a proxy may intercept TLS with its own authority).
HOST_PACKAGE_CONFIGURATION = (
    "/etc/apt/sources.list",
    "/etc/apt/sources.list.d",
    "/etc/pip.conf",
    "/etc/xdg/pip",
    "/etc/ssl/certs/ca-certificates.crt",
)
# What debootstrap leaves behind that the image must not carry: its own apt
# sources (each build mounts the host's), the host's name and resolver
# (podman provides them to each container), package lists and caches.
ROOTFS_LEFTOVERS = (
    "etc/apt/sources.list",
    "etc/hostname",
    "etc/resolv.conf",
    "var/lib/apt/lists",
    "var/cache/apt",
    "var/log",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
)
# As Debian's slim images do: what later packages bring of the above stays out
# too (copyright files are kept).
DPKG_EXCLUDES = """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
"""


class ImageBuildFailed(PlatformError):
    """A tool that builds the image is missing or failed."""


def run(command, check=True, **kwargs):
    """Run ``command`` with podman's settings of these machines;
    :class:`ImageBuildFailed` naming it when it fails."""
    env = {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}
    try:
        return subprocess.run(command, env=env, check=check, **kwargs)
    except FileNotFoundError:
        raise ImageBuildFailed(
            f"{command[0]} is not installed: run make debian-packages"
        ) from None
    except subprocess.CalledProcessError as error:
        raise ImageBuildFailed(
            f"{' '.join(map(str, command))} exited with status {error.returncode}"
        ) from None


def image_exists(name):
    return run(["podman", "image", "exists", name], check=False).returncode == 0


def base_image():
    """The Debian base, made by debootstrap and imported on first use."""
    if image_exists(BASE_IMAGE):
        print(f"base image {BASE_IMAGE}: reused", flush=True)
        return BASE_IMAGE
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir="/var/tmp", prefix="odoo-cloud-base-") as tmp:
        rootfs = Path(tmp, "rootfs")
        run(
            ["debootstrap", "--variant=minbase", "--include=ca-certificates",
             DEBIAN_RELEASE, rootfs, DEBIAN_MIRROR],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        for leftover in ROOTFS_LEFTOVERS:
            path = rootfs / leftover
            if path.is_dir():
                shutil.rmtree(path)
                path.mkdir()
            else:
                path.unlink(missing_ok=True)
        for document in (rootfs / "usr/share/doc").glob("*/*"):
            if document.name != "copyright":
                shutil.rmtree(document) if document.is_dir() else document.unlink()
        (rootfs / "etc/dpkg/dpkg.cfg.d/slim").write_text(DPKG_EXCLUDES)
        archive = Path(tmp, "rootfs.tar")
        run(["tar", "--numeric-owner", "-C", rootfs, "-cf", archive, "."])
        run(["podman", "import", archive, BASE_IMAGE], stdout=subprocess.DEVNULL)
    print(
        f"base image {BASE_IMAGE}: built in {time.monotonic() - started:.0f} s",
        flush=True,
    )
    return BASE_IMAGE


def server_wide_modules(tree):
    """``--load`` of the image: the tree's own server-wide modules, then the
    suite's, as ``make run`` loads them."""
    return (*tree.default_server_wide_modules(), *SUITE_LOAD)


def build_command(tree, base):
    """The ``podman build`` of the image of ``tree``."""
    mounts = [
        f"--volume={path}:{path}:ro"
        for path in HOST_PACKAGE_CONFIGURATION
        if Path(path).exists()
    ]
    return [
        "podman", "build",
        # HEALTHCHECK exists only in Docker's image format, not in OCI's.
        "--format=docker",
        f"--file={CONTAINERFILE}",
        f"--tag=odoo-cloud:{tree.series}",
        f"--build-context=odoo={tree.src}",
        f"--build-arg=BASE_IMAGE={base}",
        f"--build-arg=SERVER_WIDE_MODULES={','.join(server_wide_modules(tree))}",
        *mounts,
        str(REPO),
    ]  # fmt: skip


def build(tree, base):
    """Build the image of ``tree``; print how long it took and its size."""
    started = time.monotonic()
    run(build_command(tree, base))
    tag = f"odoo-cloud:{tree.series}"
    size = run(
        ["podman", "image", "inspect", "--format={{.Size}}", tag],
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(
        f"{tag}: built in {time.monotonic() - started:.0f} s, {int(size) / 1e6:.0f} MB"
    )


def main():
    trees = configured_trees()
    problems = [tree for tree in trees if isinstance(tree, str)]
    if problems:
        sys.exit("\n".join(f"make image: {problem}" for problem in problems))
    try:
        for tree in trees:
            tree.check_environment()
        base = base_image()
        for tree in trees:
            build(tree, base)
    except (ValueError, ImageBuildFailed) as error:
        sys.exit(f"make image: {error}")


if __name__ == "__main__":
    main()
