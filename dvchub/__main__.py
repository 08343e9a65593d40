"""``python -m dvchub``: the ``dvchub`` command (what ``WorkerProcess`` starts a worker of the
full registry with: ``python -m dvchub worker NAME``)."""

from dvchub.cli import main

main()
