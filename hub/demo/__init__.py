"""What ``make run`` shows: one module per part of the hub, each a section of the demo."""
