# cocreate in a container. Two stages: "builder" installs cocreate and its dependencies
# into a virtual environment; the runtime stage is a plain python:3.11-slim that gets only
# that environment. Step by step (and compose.yaml): docs/setup.md.
#
#   docker build -t cocreate .
#   docker run -d --name cocreate --env-file .env -v cocreate-data:/data cocreate
#   docker run --rm --env-file .env cocreate invite-url      # any other cocreate command
#
# The token comes from the environment (DISCORD_TOKEN), never from the image or a file in
# it. Settings: mount a config.toml at /config/config.toml, or set COCREATE_<SECTION>__<NAME>.

# Both stages must use the same Python: the environment's bin/python points at it.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
RUN python -m venv /opt/cocreate

# The dependencies first, read from pyproject.toml, in a layer of their own: changing the
# bot's code does not download them again.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
 && /opt/cocreate/bin/pip install -r requirements.txt

# Then cocreate itself, built as a wheel from pyproject.toml (README.md is its readme).
# bot/prompts links to prompts/, so the wheel carries every sentence and template.
COPY README.md ./
COPY bot ./bot
COPY prompts ./prompts
RUN /opt/cocreate/bin/pip install --no-deps . \
 && /opt/cocreate/bin/python -c "import bot.cli, bot.app"


FROM ${PYTHON_IMAGE} AS runtime

ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="cocreate" \
      org.opencontainers.image.description="Discord bot for Design Thinking co-creation sessions (community libraries)" \
      org.opencontainers.image.licenses="EUPL-1.2" \
      org.opencontainers.image.version="${VERSION}"

# Fonts with accents for the board pictures; the sqlite3 tool for backups of a running bot
# (docker compose exec cocreate sqlite3 /data/cocreate.sqlite3 ".backup '/data/backup.sqlite3'").
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core sqlite3 \
 && rm -rf /var/lib/apt/lists/*

# A user of its own, no login, no root. /data is the one place it writes.
RUN groupadd --system --gid 10001 cocreate \
 && useradd --system --uid 10001 --gid cocreate --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin cocreate \
 && mkdir -p /data /config \
 && chown cocreate:cocreate /data \
 && printf '%s\n' \
        '# No settings here: the defaults and the COCREATE_* environment apply.' \
        '# Mount your own file over this one: -v ./config.toml:/config/config.toml:ro' \
        > /config/config.toml

COPY --from=builder /opt/cocreate /opt/cocreate

ENV PATH="/opt/cocreate/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    COCREATE_STORAGE__PATH=/data/cocreate.sqlite3

# The database and its heartbeat file (/data/cocreate.sqlite3.heartbeat) live here.
VOLUME ["/data"]
# ./config.toml here is the one `cocreate run` uses, so `cocreate sessions`, `export` and
# `health` find the same settings. Exports: --output /data/… or --output - (stdout).
WORKDIR /config
USER 10001:10001

# The image starts at all (settings, templates and every sentence load) or the build fails.
RUN cocreate check-config --config /config/config.toml

# Healthy while the bot is connected to Discord: it touches the heartbeat file every 30 s
# and `cocreate health` exits 0 while that file is younger than 120 s. Loading the theme
# model and reading back missed messages can take a while at start-up.
HEALTHCHECK --interval=30s --timeout=10s --start-period=2m --retries=3 \
    CMD ["cocreate", "health"]

# Ctrl-C, not SIGTERM: the bot then closes its timers and database cleanly (Python as
# process 1 would ignore SIGTERM and be killed after the grace period).
STOPSIGNAL SIGINT

ENTRYPOINT ["cocreate"]
CMD ["run", "--config", "/config/config.toml"]
