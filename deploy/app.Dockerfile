# syntax=docker/dockerfile:1
# The application image: the bot (`yoldosh serve-bot`), the action server (`yoldosh serve-actions`) and the
# one-shot `yoldosh prepare`. Python 3.11, the exact versions of requirements/app.lock, catalogs compiled, a
# non-root user. No secret is ever written into it: settings come from the environment at run time (see
# docker-compose.yml and deploy/env.example), and .dockerignore keeps .env and var/ out of the build context.
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    YOLDOSH_HOME=/app

RUN groupadd --system --gid 10001 yoldosh \
    && useradd --system --uid 10001 --gid yoldosh --home-dir /app --no-create-home --shell /usr/sbin/nologin yoldosh

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
COPY requirements/app.lock requirements/app.lock
RUN python -m venv /opt/venv \
    && pip install --requirement requirements/app.lock

COPY pyproject.toml alembic.ini ./
COPY bot bot
COPY services services
COPY nlu nlu
COPY content content
RUN pip install --no-deps --editable . \
    && pybabel compile --domain yoldosh --directory content/locale --statistics \
    && mkdir -p var && chown yoldosh:yoldosh var

USER 10001:10001

CMD ["yoldosh", "--help"]
