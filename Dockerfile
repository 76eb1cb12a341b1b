# syntax=docker/dockerfile:1
# The server image: the wheel and the runtime lock, installed in a virtual environment, run by
# an unprivileged user. `docker compose up` (compose.yaml) starts it beside PostgreSQL.

# The web app's browser libraries, from the npm registry at the versions frontend/package-lock.json
# pins (as `make vendor` does outside Docker).
FROM node:20-slim AS assets
WORKDIR /frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error \
    && mkdir vendor \
    && cp node_modules/htmx.org/dist/htmx.min.js vendor/htmx.min.js \
    && cp node_modules/htmx.org/LICENSE vendor/htmx.LICENSE.txt \
    && cp node_modules/sortablejs/Sortable.min.js vendor/Sortable.min.js \
    && cp node_modules/sortablejs/LICENSE vendor/Sortable.LICENSE.txt

FROM python:3.11-slim AS build
WORKDIR /build
RUN python -m venv /opt/platform
COPY requirements-runtime.lock ./
RUN /opt/platform/bin/pip install --no-cache-dir --disable-pip-version-check \
        --require-hashes -r requirements-runtime.lock
COPY pyproject.toml README.md ./
COPY src ./src
COPY --from=assets /frontend/vendor ./src/praisonai_platform/web/static/vendor
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
