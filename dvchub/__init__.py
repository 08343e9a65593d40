"""dvc-hub, the application: the ``dvchub`` command and the demo.

The core (``hub``) knows nothing of the partners' connectors (``connectors``) or of signatures
(``signing``); this package composes the three. ``dvchub.cli`` is the ``dvchub`` command, which
imports the heavy and optional parts (faust, the connectors' apps, the signing extra) only inside
the commands that need them; ``dvchub.demo`` is what ``make run`` shows.
"""
