"""A poll source on the inbound shell: a partner the hub asks for news (the national portal's
new dossiers) instead of one that pushes them.

The shell runs it in its lifespan, once its runtime is up (``InboundShell(poll=...)``): rounds
one after another while the source says there is more, a pause of ``interval_s`` when it is
caught up. A round that did not get through (``PollFailed``: the partner did not answer;
``NotAcknowledged``: the broker did not, or the views are still loading) is asked again after
a back-off doubling up to ``max_backoff_s``; nothing of it was recorded, so nothing is lost.
Any other exception ends the loop and is logged: ``/ready`` then says ``poll`` (a process
supervisor restarts the service) rather than the loop spinning on a bug. Stopping the shell
stops the loop after the round in progress, before the runtime it uses is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from connectors.common._publisher import NotAcknowledged

log = logging.getLogger("connectors.common.poll")


class PollFailed(Exception):
    """One round did not get through on the partner's side; it is asked again later."""


class PollSource(Protocol):
    """What the shell polls: ``poll`` is one round and says whether more is waiting."""

    @property
    def interval_s(self) -> float: ...

    @property
    def max_backoff_s(self) -> float: ...

    async def poll(self) -> bool: ...


async def poll_until(source: PollSource, stop: asyncio.Event, name: str) -> None:
    """Rounds of ``source`` until ``stop`` is set (see the module's docstring)."""
    backoff = source.interval_s
    while not stop.is_set():
        try:
            more = await source.poll()
        except (PollFailed, NotAcknowledged) as exc:
            log.warning("%s: %s; polling again in %.1f s", name, exc, backoff)
            await pause(stop, backoff)
            backoff = min(backoff * 2, source.max_backoff_s)
            continue
        except Exception:
            log.exception("%s: the poll loop failed and stops", name)
            raise
        backoff = source.interval_s
        if not more:
            await pause(stop, source.interval_s)


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
