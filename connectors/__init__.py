"""Partner connectors: each turns a partner's interface into canonical Avro events on Kafka and
carries the hub's commands back out. One subpackage per partner: ``portal``, ``national``,
``vnpost``, ``bank``."""
