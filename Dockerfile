# One image for every newswatch stage; the compose file picks the subcommand.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY newswatch ./newswatch
COPY collectors ./collectors
COPY processors ./processors
COPY alerts ./alerts
RUN pip install .

COPY config ./config
COPY seeds ./seeds

RUN useradd --system --home /app newswatch && mkdir -p /var/lib/newswatch \
    && chown newswatch /var/lib/newswatch
USER newswatch
ENV NEWSWATCH_CONFIG_DIR=/app/config NEWSWATCH_STATE_DIR=/var/lib/newswatch

ENTRYPOINT ["newswatch"]
CMD ["--help"]
