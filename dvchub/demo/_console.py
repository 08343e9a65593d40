"""The demo's console: wide enough for its tables even when not attached to a terminal."""

from __future__ import annotations

from rich.console import Console

console = Console(width=None if Console().is_terminal else 150)
