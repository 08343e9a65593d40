"""Fetching the stack's jars from Maven Central with the machine's own ``mvn``."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from hub.stack._exceptions import FetchFailed, ToolMissing


def require_tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(f"`{name}` is not on PATH: {hint}")
    return path


def pom_property(pom: Path, name: str) -> str:
    """The value of ``<properties><name>`` in ``pom`` (e.g. ``kafka.version``), as written."""
    try:
        root = ET.parse(pom).getroot()  # noqa: S314 (the repository's own pom)
    except (OSError, ET.ParseError) as exc:
        raise FetchFailed(f"cannot read {pom}: {exc}") from exc
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    value = root.findtext(f"{ns}properties/{ns}{name}")
    if not value or not value.strip():
        raise FetchFailed(f"{pom} has no <properties><{name}>")
    return value.strip()


def copy_dependencies(pom: Path, output_dir: Path, *, marker: str, clean: bool = False) -> Path:
    """Copy ``pom``'s dependencies into ``output_dir`` once; ``marker`` names a file proving it.

    With ``clean``, a fetch first removes the jars of an earlier fetch (another marker, e.g. an
    older version), so one folder never puts two versions of a jar on a ``dir/*`` classpath.
    """
    if (output_dir / marker).exists():
        return output_dir
    mvn = require_tool("mvn", "install Maven (apt-get install -y maven)")
    require_tool("java", "install Java 17 (apt-get install -y openjdk-17-jre-headless)")
    if clean and output_dir.is_dir():
        for stale in [*output_dir.glob("*.jar"), *output_dir.glob(".fetched*")]:
            stale.unlink()
    output_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            mvn,
            "-B",
            "-q",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={output_dir}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr)[-3000:]
        raise FetchFailed(f"mvn could not fetch the artifacts of {pom}:\n{output}")
    (output_dir / marker).touch()
    return output_dir


def link_fetched_components(shared: Path, home: Path) -> None:
    """Link another stack home's fetched jars into ``home`` (read only), so that a stack of its
    own (a test's, a benchmark's) does not copy 200 MB again; without them it fetches its own."""
    links = {
        "kafka/libs": "kafka/libs/.fetched-3.9.1",
        "registry/dist": "registry/dist/.fetched",
        "registry/app": "registry/app",
    }
    for folder, proof in links.items():
        if (shared / proof).exists():
            (home / folder).parent.mkdir(parents=True, exist_ok=True)
            (home / folder).symlink_to(shared / folder, target_is_directory=True)
