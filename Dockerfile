# syntax=docker/dockerfile:1
# newsbot container image.
#
#   docker build -t newsbot .
#   docker run -d --name newsbot \
#       -v "$PWD/config.toml:/config/config.toml:ro" -v newsbot-data:/data \
#       -e NEWSBOT_TELEGRAM__TOKEN=123456789:AA... -p 8080:8080 newsbot
#
# Config: mount a file at /config/config.toml (read-only is fine) and/or set NEWSBOT_*
# variables; the environment wins over the file. The image sets the server address, the
# port and the SQLite location below, so a config written for a host needs no changes.
# Data: the SQLite database lives in the /data volume (unless database.url points at
# PostgreSQL). See docs/deploy.md.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: newsbot and every dependency as wheels -------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN python -m pip wheel --wheel-dir /wheels .

# --- runtime: a virtual environment installed from those wheels only -------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PATH=/opt/newsbot/bin:$PATH
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m venv /opt/newsbot \
    && /opt/newsbot/bin/pip install --no-index --find-links /wheels newsbot \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin newsbot \
    && mkdir -p /data /config \
    && chown newsbot:newsbot /data \
    && chmod 0750 /data
# An empty config, so that NEWSBOT_* variables alone are enough; mount yours over it.
COPY deploy/config.container.toml /config/config.toml

# Listen on every interface of the container (publish the port to choose who reaches it),
# and keep the SQLite database in the volume.
ENV NEWSBOT_SERVER__HOST=0.0.0.0 \
    NEWSBOT_SERVER__PORT=8080 \
    NEWSBOT_DATABASE__URL=sqlite+aiosqlite:////data/newsbot.db

USER newsbot
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080

# /readyz: 200 once the bot takes updates, 503 otherwise. No curl in slim images, so the
# check is a small standard-library module of newsbot (bot/healthcheck.py).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck", "http://127.0.0.1:8080/readyz"]

# `newsbot run` stops cleanly on SIGTERM (docker stop): it stops taking updates, closes
# the HTTP server, the Bot API connection and the database, and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["newsbot"]
CMD ["run", "-c", "/config/config.toml"]
