"""The demo's console is for people: its rich tables, progress and the audit; the rest goes to a
log file.

What the demo's own process logs (its connectors, endpoints and simulators on threads, the Kafka
and HTTP clients), the warnings libraries raise (pyhanko's and certomancer's imports of DSA), and
the traceback of a section that fails go to ``LOG_PATH``, redacted as every hub log is; each
worker process writes to its own file beside it (``dvchub.demo._servers``). A failure still
reaches the console: one line naming the section and the log file (``failures_reported``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.align import AlignMethod
from rich.console import Console
from rich.style import Style
from rich.text import Text, TextType

from hub.logs import ENV_LEVEL, configure_logging, redact_text
from hub.settings import REPO_ROOT

#: The demo process's own log (appended to by each run; JSON lines, redacted).
LOG_PATH = REPO_ROOT / ".cache" / "demo" / "demo.log"
#: What the demo's process logs unless ``DVC_LOG_LEVEL`` says: problems, not every request.
DEFAULT_LEVEL = "WARNING"


class DemoConsole(Console):
    """A rich console that remembers the section it is in: the title of its last rule."""

    section = ""

    def rule(
        self,
        title: TextType = "",
        *,
        characters: str = "─",
        style: str | Style = "rule.line",
        align: AlignMethod = "center",
    ) -> None:
        self.section = title.plain if isinstance(title, Text) else Text.from_markup(title).plain
        super().rule(title, characters=characters, style=style, align=align)


#: Wide enough for the demo's tables even when not attached to a terminal.
console = DemoConsole(width=None if Console().is_terminal else 150)


def log_to_file(path: Path = LOG_PATH) -> None:
    """This process's log records and Python warnings to ``path`` instead of the console."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Line-buffered, kept open for the life of the process: the root handler writes to it.
    stream = path.open("a", encoding="utf-8", buffering=1)
    level = os.environ.get(ENV_LEVEL)
    configure_logging(level or DEFAULT_LEVEL, json=True, to=stream)
    logging.captureWarnings(True)  # warnings.warn(...) -> the "py.warnings" logger -> the file
    if not level:
        # kafka-python's "task ran for 0.1 s" notes on a busy 2-core machine are no news
        logging.getLogger("kafka.net.selector").setLevel(logging.ERROR)


@contextmanager
def failures_reported(path: Path = LOG_PATH) -> Iterator[None]:
    """A failure inside: its traceback to the log, one line on the console naming the section
    it happened in and the log's path, and exit status 1."""
    try:
        yield
    except Exception as exc:
        where = f"section '{console.section}'" if console.section else "its start"
        logging.getLogger("dvchub.demo").error("the demo failed in %s", where, exc_info=True)
        # The message may quote a request or a record: redacted as a log line would be, and
        # printed as plain text (rich markup in it would be taken for styles).
        message = redact_text(f"{type(exc).__name__}: {exc}")
        console.print(Text(f"the demo failed in {where}: {message}", style="bold red"))
        console.print(Text(f"the traceback is in {path}", style="red"))
        raise SystemExit(1) from exc
