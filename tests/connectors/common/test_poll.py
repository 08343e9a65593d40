"""The inbound shell's poll source (``connectors.common._poll``) on the real broker: rounds while
the shell is up, failed rounds asked again after a back-off, a loop that dies named by
``/ready``, and stopping the shell ends the loop before its runtime closes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from connectors.common import InboundShell, InboundSpec, NoViews, PollFailed
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS

#: Short: the test waits for a few rounds, not for a real partner's pace.
INTERVAL_S = 0.05


@dataclass
class Source:
    """Rounds that fail ``failures`` times, then succeed; ``broken`` raises a bug instead."""

    shell: InboundShell[NoViews] | None = None
    failures: int = 0
    broken: bool = False
    rounds: int = 0
    runtime_seen: list[bool] = field(default_factory=list)
    #: Rounds the test waits for (the failures and the ones after them).
    wanted: int = 0
    interval_s: float = INTERVAL_S
    max_backoff_s: float = 4 * INTERVAL_S

    async def poll(self) -> bool:
        self.rounds += 1
        assert self.shell is not None
        self.runtime_seen.append(self.shell.started is not None)
        if self.broken:
            raise RuntimeError("a bug in the source")
        if self.failures:
            self.failures -= 1
            raise PollFailed("the partner did not answer")
        return False


def shell_of(settings: Settings, registry: RegistryClient, source: Source) -> InboundShell[NoViews]:
    spec = InboundSpec("poll-test", produces=(DOSSIER_EVENTS,), ack_timeout_s=5.0, threads=2)
    shell = InboundShell(settings, spec, registry, lambda _: NoViews(), poll=source)
    source.shell = shell
    return shell


async def until(check: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "waited in vain"
        await asyncio.sleep(INTERVAL_S)


def test_rounds_go_on_through_failures_and_end_with_the_shell(
    hub_topics: Settings, registry: RegistryClient
) -> None:
    source = Source(failures=3, wanted=5)

    async def run() -> None:
        shell = shell_of(hub_topics, registry, source)
        async with shell.lifespan():
            await until(lambda: source.rounds >= source.wanted)
            readiness = await shell.readiness()
            assert readiness.ready, readiness
        stopped_at = source.rounds
        await asyncio.sleep(5 * INTERVAL_S)
        assert source.rounds == stopped_at  # no round after the shell stopped

    asyncio.run(run())
    assert source.failures == 0
    assert all(source.runtime_seen)  # every round ran while the runtime was up


def test_a_loop_that_dies_is_named_by_ready(hub_topics: Settings, registry: RegistryClient) -> None:
    source = Source(broken=True)

    async def run() -> None:
        shell = shell_of(hub_topics, registry, source)
        async with shell.lifespan():
            await until(lambda: source.rounds >= 1)
            await asyncio.sleep(INTERVAL_S)
            readiness = await shell.readiness()
            assert not readiness.ready
            assert readiness.waiting_for == ("poll",), readiness
            await asyncio.sleep(5 * INTERVAL_S)
            assert source.rounds == 1  # not retried: a bug is not a partner's outage

    asyncio.run(run())
