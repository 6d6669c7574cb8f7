# dailypapers in a container: the scheduler writes yesterday's digest every day at 07:00 UTC.
#   docker build -t dailypapers .
#   docker run -d --init -e DAILYPAPERS_LLM_API_KEY=... -v dailypapers-data:/data \
#       -v dailypapers-digests:/digests dailypapers
# or `docker compose up -d` with compose.yaml. See docs/operations.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
# tzdata: the IANA time zones for --tz, whatever the base image carries.
RUN pip install . tzdata

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin dailypapers \
    && mkdir -p /data /digests \
    && chown dailypapers:dailypapers /data /digests

# The store, cache, lock and schedule state live in /data; the reports in /digests.
ENV DAILYPAPERS_DATA_DIR=/data \
    DAILYPAPERS_OUT=/digests
VOLUME ["/data", "/digests"]

USER dailypapers
WORKDIR /home/dailypapers
CMD ["dailypapers", "schedule", "--at", "07:00", "--tz", "UTC"]
