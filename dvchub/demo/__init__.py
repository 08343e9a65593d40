"""What ``make run`` shows: one module per part of the hub, each a section of the demo
(``run_demo``), and the pieces ``dvchub simulate`` and the CLI share with it (the console, the
partner chain, the servers).

Importing the package imports no section: ``dvchub demo run`` sends the process's logs and
warnings to the demo's log file (``log_to_file``) before the sections' libraries load, so each
public name is imported from its module when first used (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dvchub._lazy import lazy_names

if TYPE_CHECKING:
    from dvchub.demo._chain import Chain, Shown, start_chain
    from dvchub.demo._console import LOG_PATH, console, failures_reported, log_to_file
    from dvchub.demo._endpoints import EndpointProcess, endpoint_process
    from dvchub.demo._lifecycle import RunningPortal
    from dvchub.demo._run import run_demo
    from dvchub.demo._servers import demo_pki, serving
    from dvchub.demo._simulate import DEMO_MONTH, MonthSize

#: Each public name and the module that defines it.
_HOME = {
    "Chain": "_chain", "Shown": "_chain", "start_chain": "_chain",
    "LOG_PATH": "_console", "console": "_console", "failures_reported": "_console",
    "log_to_file": "_console", "EndpointProcess": "_endpoints",
    "endpoint_process": "_endpoints", "RunningPortal": "_lifecycle", "run_demo": "_run",
    "demo_pki": "_servers", "serving": "_servers", "DEMO_MONTH": "_simulate",
    "MonthSize": "_simulate",
}  # fmt: skip


__getattr__ = lazy_names(__name__, _HOME)


__all__ = ["DEMO_MONTH", "LOG_PATH", "Chain", "EndpointProcess", "MonthSize", "RunningPortal",
           "Shown", "console", "demo_pki", "endpoint_process", "failures_reported", "log_to_file",
           "run_demo", "serving", "start_chain"]  # fmt: skip
