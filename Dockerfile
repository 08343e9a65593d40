# The hub's processes and connectors (the same image runs each with a different command).
FROM python:3.11-slim
WORKDIR /app
# the apology letters' font (signing._apology_pdf embeds DejaVu Sans: Vietnamese diacritics)
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md requirements.lock ./
# every dependency pinned and hash-checked (the lock holds the test extras too: a few more MB)
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY hub ./hub
COPY connectors ./connectors
COPY signing ./signing
COPY dvchub ./dvchub
COPY schemas ./schemas
# `dvchub kafka secrets` renders the broker's server.properties from the local stack's template.
COPY infra/kafka/server.properties.template ./infra/kafka/
RUN pip install --no-cache-dir --no-deps -e .
ENV DVC_BOOTSTRAP_SERVERS=kafka:9092 \
    DVC_SCHEMA_REGISTRY_URL=http://registry:8080/apis/ccompat/v7
ENTRYPOINT ["dvchub"]
CMD ["--help"]
