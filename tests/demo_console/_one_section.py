"""A demo section in a process of its own, started as ``dvchub demo run`` starts the demo (its
logs to a file, failures reported), beside what background clients do on their own: a library's
warning, a client's error record, a thread dying. Then a section that fails.

``python -m tests.demo_console._one_section LOG``; the topic prefix from ``DVC_TOPIC_PREFIX``.
"""

from __future__ import annotations

import logging
import sys
import threading
import uuid
import warnings
from pathlib import Path

from dvchub.demo._console import console, failures_reported, log_to_file

#: What the failing section raises (the test looks for it in the log).
FAILURE = "the broker went away"


def _dies() -> None:
    raise ZeroDivisionError("a client thread died")


def main(log: Path) -> None:
    log_to_file(log)
    with failures_reported(log):
        from dvchub.demo._desks import show_desks
        from hub.serde import RegistryClient
        from hub.settings import get_settings

        warnings.warn("a library's warning", UserWarning, stacklevel=1)
        logging.getLogger("kafka.cluster").error("Metadata refresh: failed Cancelled")
        thread = threading.Thread(target=_dies, name="a-client-thread")
        thread.start()
        thread.join()
        settings = get_settings()
        with RegistryClient(settings.schema_registry_url) as registry:
            show_desks(settings, registry, uuid.uuid4().hex[:6])
        console.rule("[bold]A section that fails")
        raise RuntimeError(FAILURE)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
