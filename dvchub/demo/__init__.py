"""What ``make run`` shows: one module per part of the hub, each a section of the demo
(``dvchub.demo._run.run_demo``).

Importing the package imports no section: ``dvchub demo run`` sends the process's logs and
warnings to the demo's log file (``_console.log_to_file``) before the sections' libraries load.
"""
