"""Benchmarks that print figures: each is a script (``python bench/NAME.py``).

They drive the partner simulators, whose credentials are the development secrets published in
the repository, so a bench is a development machine by definition: the explicit flag of
``hub.secrets`` is set for the bench's process and the workers it starts.
"""

import os

os.environ.setdefault("DVC_DEV_SECRETS", "1")
# Benches make topics of their own, so they log in to the local stack as its admin principal.
os.environ.setdefault("DVC_KAFKA_USERNAME", "admin")
