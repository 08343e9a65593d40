"""Fetching the stack's jars from Maven Central with the machine's own ``mvn``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hub.stack._exceptions import FetchFailed, ToolMissing


def require_tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(f"`{name}` is not on PATH: {hint}")
    return path


def copy_dependencies(pom: Path, output_dir: Path, *, marker: str) -> Path:
    """Copy ``pom``'s dependencies into ``output_dir`` once; ``marker`` names a file proving it."""
    if (output_dir / marker).exists():
        return output_dir
    mvn = require_tool("mvn", "install Maven (apt-get install -y maven)")
    require_tool("java", "install Java 17 (apt-get install -y openjdk-17-jre-headless)")
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
