"""The published directory, replaced whole: a portal never serves a half-written set.

Layout of the directory ``root`` the portal serves from::

    root/current -> releases/<build id>     a symlink, swapped in one rename(2)
    root/releases/<build id>/index.html ... every file of one build

A build is written into ``releases/.tmp-<id>``, renamed to ``releases/<id>`` once complete,
then ``current`` is pointed at it by renaming a new symlink over the old one (atomic on POSIX):
a reader resolves ``current`` once per file and sees one whole build or the previous one. The
newest ``keep`` builds stay (a page open in a browser can still fetch its stylesheet); older
ones are removed.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from hub.publish._errors import PublishError
from hub.publish._render import PageFile

CURRENT: Final = "current"
RELEASES: Final = "releases"
_TEMPORARY: Final = ".tmp-"
LOCK: Final = ".lock"


@dataclass(frozen=True)
class Release:
    """A build in place: its directory and files."""

    path: Path
    files: tuple[str, ...]


def served(root: Path) -> Path:
    """The directory a web server serves (a symlink to the current build)."""
    return root / CURRENT


def _build_id(now: datetime) -> str:
    # Sortable by time (pruning keeps the newest), unique if two builds share a second.
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(3)}"


def write_release(root: Path, files: Sequence[PageFile], *, keep: int) -> Release:
    """Write ``files`` as a new build under ``root`` and make it current; ``PublishError`` if
    ``root`` cannot hold the site (not writable, or ``current`` is not ours)."""
    if keep < 1:
        raise PublishError(f"at least one build must be kept, got keep={keep}")
    names = [f.name for f in files]
    if len(set(names)) != len(names) or any("/" in n or n.startswith(".") for n in names):
        raise PublishError(f"page file names must be unique plain names, got {names}")
    link = served(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        with _locked(root):
            return _write(root, link, files, keep)
    except OSError as exc:
        raise PublishError(f"cannot publish into {root}: {exc.strerror or exc}") from exc


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One build at a time per directory (a scheduled one and an on-demand one may meet)."""
    with (root / LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write(root: Path, link: Path, files: Sequence[PageFile], keep: int) -> Release:
    if link.exists() and not link.is_symlink():
        raise PublishError(f"{link} exists and is not the symlink a build is published by")
    releases = root / RELEASES
    releases.mkdir(exist_ok=True)
    build = _build_id(datetime.now(UTC))
    staging = releases / f"{_TEMPORARY}{build}"
    staging.mkdir()
    for file in files:
        (staging / file.name).write_bytes(file.body)
    final = releases / build
    staging.rename(final)
    swap = root / f"{_TEMPORARY}{build}.link"
    swap.symlink_to(Path(RELEASES) / build, target_is_directory=True)
    os.replace(swap, link)
    _prune(releases, keep)
    return Release(final, tuple(sorted(f.name for f in files)))


def _prune(releases: Path, keep: int) -> None:
    """Remove all but the newest ``keep`` builds, and staging a crashed build left (the caller
    holds the lock: no other build is being written)."""
    builds = sorted(p for p in releases.iterdir() if not p.name.startswith(_TEMPORARY))
    stale = builds[:-keep] + [p for p in releases.iterdir() if p.name.startswith(_TEMPORARY)]
    current = (releases.parent / CURRENT).resolve()
    for path in stale:
        if path.resolve() != current:
            shutil.rmtree(path, ignore_errors=True)
