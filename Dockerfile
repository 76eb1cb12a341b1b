# syntax=docker/dockerfile:1
# The server image: the wheel and the runtime lock, installed in a virtual environment, run by
# an unprivileged user. `docker compose up` (compose.yaml) starts it beside PostgreSQL.

FROM python:3.11-slim AS build
WORKDIR /build
RUN python -m venv /opt/platform
COPY requirements-runtime.lock ./
RUN /opt/platform/bin/pip install --no-cache-dir --disable-pip-version-check \
        --require-hashes -r requirements-runtime.lock
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/platform/bin/pip wheel --no-cache-dir --no-deps --wheel-dir /build/dist . \
    && /opt/platform/bin/pip install --no-cache-dir --no-deps /build/dist/*.whl

FROM python:3.11-slim
RUN groupadd --system platform \
    && useradd --system --gid platform --home-dir /var/lib/platform --create-home platform
COPY --from=build /opt/platform /opt/platform
COPY docker/entrypoint.sh /usr/local/bin/platform-entrypoint
ENV PATH="/opt/platform/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PLATFORM_HOST=0.0.0.0 \
    PLATFORM_PORT=8000 \
    DATABASE_URL=sqlite+aiosqlite:////var/lib/platform/platform.db \
    RUN_DB_MIGRATIONS=true
USER platform
WORKDIR /var/lib/platform
VOLUME ["/var/lib/platform"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/ready')"
ENTRYPOINT ["platform-entrypoint"]
