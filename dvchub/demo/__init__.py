"""What ``make run`` shows: one module per part of the hub, each a section of the demo."""

from dvchub.demo._run import run_demo

__all__ = ["run_demo"]
