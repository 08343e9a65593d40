"""``dvchub worker signing``: the signing processor as a worker of the processor registry.

``SPEC`` (a ``hub.processing.LoopSpec``) is listed by ``dvchub.processors`` (the hub's own
registry cannot name it: ``hub`` does not import ``signing``). The worker takes the registry's
common options (``--web-port``, ``--session-timeout``, ``--commit-interval``, ``--batch-max``),
its keys, trust anchors and TSA from ``DVC_SIGNING_*`` (``signing/README.md``) and its document
store from ``DVC_SIGNING_STORE_DIR``. Not configured: one line on stderr, exit 2.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

from hub.processing import LoopOptions, LoopSpec, RunnerOptions, run_until_signalled
from hub.serde import RegistryClient
from hub.settings import REPO_ROOT, Settings

from ._errors import SigningError
from ._models import SigningConfig
from ._processor import MAX_POLL_RECORDS, SigningProcessor, group_for
from ._service import SigningService
from ._settings import signing_config_from_env
from ._store import LocalDocumentStore

#: Where signed and unsigned documents are kept when DVC_SIGNING_STORE_DIR is not set.
DEFAULT_STORE = REPO_ROOT / ".cache" / "documents"


def configured_service(worker: str) -> tuple[SigningService, LocalDocumentStore, SigningConfig]:
    """The signing service of ``DVC_SIGNING_*`` on the store of ``DVC_SIGNING_STORE_DIR``;
    not configured: one line on stderr, exit 2."""
    try:
        config = signing_config_from_env()
    except SigningError as exc:
        print(f"dvchub worker {worker}: signing is not configured: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    store = LocalDocumentStore(Path(os.environ.get("DVC_SIGNING_STORE_DIR", DEFAULT_STORE)))
    return SigningService(config, store), store, config


def run_worker(settings: Settings, options: RunnerOptions) -> None:
    """Sign ResultReady events until SIGTERM / SIGINT."""
    service, _, config = configured_service("signing")
    loop_options = LoopOptions.of_runner(options, group_for(settings), "dvchub-signing")
    # a signature per document: a poll of the registry's default size would be minutes of work
    loop_options = dataclasses.replace(
        loop_options, max_poll_records=min(options.batch_max, MAX_POLL_RECORDS)
    )
    with RegistryClient(settings.schema_registry_url) as registry:
        processor = SigningProcessor(
            settings, service, registry,
            timestamped=config.tsa is not None, options=loop_options,
        )  # fmt: skip
        run_until_signalled(processor.loop)


SPEC = LoopSpec("signing", run_worker, environment=("DVC_SIGNING_*", "DVC_SIGNING_STORE_DIR"))
