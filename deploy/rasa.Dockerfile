# syntax=docker/dockerfile:1
# Rasa 3.6.21 with Yoldosh's project: config, domain, data, the text-folding component (and the part of services/
# it imports), the production endpoints and credentials; the model is trained while the image is built, into
# /app/nlu/models (to run a model trained elsewhere instead, mount it there: deploy/README.md). The image's own
# non-root user (1001) runs it. No secret is in it: endpoints.production.yml reads everything from the environment.
FROM rasa/rasa:3.6.21-full

ENV RASA_TELEMETRY_ENABLED=false \
    PYTHONPATH=/app \
    TF_CPP_MIN_LOG_LEVEL=2 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1

WORKDIR /app
COPY --chown=1001:0 services/__init__.py services/__init__.py
COPY --chown=1001:0 services/i18n services/i18n
COPY --chown=1001:0 nlu/__init__.py nlu/config.yml nlu/credentials.yml nlu/endpoints.production.yml nlu/
COPY --chown=1001:0 nlu/components nlu/components
COPY --chown=1001:0 nlu/domain nlu/domain
COPY --chown=1001:0 nlu/data nlu/data

USER root
RUN mkdir -p /app/nlu/models && chown -R 1001:0 /app/nlu && chmod -R g=u /app/nlu
WORKDIR /app/nlu
USER 1001
RUN rasa train --config config.yml --domain domain --data data --out models --fixed-model-name yoldosh

# The entrypoint stays the image's `rasa`; docker-compose.yml gives `run … --endpoints endpoints.production.yml`.
CMD ["run", "--model", "models", "--endpoints", "endpoints.production.yml", "--credentials", "credentials.yml"]
