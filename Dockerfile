# One image for the web process and both workers (docker-compose.yml picks the command).
# Stage 1 builds the editor; stage 2 is the Python app with the build inside.
FROM node:20-bookworm-slim AS editor
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    NETWEAVE_VAR_DIR=/var/lib/netweave
WORKDIR /app
# Dependencies first: this layer (torch is most of it) is reused until pyproject.toml changes.
COPY pyproject.toml ./
RUN mkdir -p designer workers && touch designer/__init__.py workers/__init__.py \
    && pip install . && pip uninstall -y netweave
COPY manage.py ./
COPY designer/ designer/
COPY workers/ workers/
COPY --from=editor /src/frontend/dist/ frontend/dist/
RUN pip install --no-deps -e . \
    && useradd --create-home --uid 1000 netweave \
    && mkdir -p "$NETWEAVE_VAR_DIR" && chown netweave "$NETWEAVE_VAR_DIR"
USER netweave
EXPOSE 8000
CMD ["python", "-m", "uvicorn", "designer.asgi:application", "--host", "0.0.0.0", "--port", "8000"]
