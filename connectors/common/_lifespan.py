"""An inbound endpoint's blocking runtime (Kafka clients, topics read at start-up), started and
stopped in a thread pool its requests then share, so the event loop never blocks on Kafka."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TypeVar

R = TypeVar("R")


@asynccontextmanager
async def runtime_in_threads(
    threads: int,
    name: str,
    start: Callable[[ThreadPoolExecutor], R],
    stop: Callable[[R], None],
) -> AsyncIterator[R]:
    """``start(executor)`` in the pool (``threads`` threads named ``name``), yield what it
    built, then ``stop`` it in the pool and shut the pool down. A failed start shuts it at once."""
    executor = ThreadPoolExecutor(threads, thread_name_prefix=name)
    loop = asyncio.get_running_loop()
    try:
        runtime = await loop.run_in_executor(executor, start, executor)
    except BaseException:
        executor.shutdown(wait=False)
        raise
    try:
        yield runtime
    finally:
        await loop.run_in_executor(executor, stop, runtime)
        executor.shutdown(wait=True)
