"""``python -m hub.processing worker NAME [options]`` (``dvchub worker`` without the CLI):
how WorkerProcess, the tests and the benches start a worker as an OS process."""

from hub.processors import worker_main

worker_main()
