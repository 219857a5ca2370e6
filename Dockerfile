# One image for the API (the default command) and the worker (`python -m jobs.worker`).
# The commands are the ones `make run` (core/devrun.py) runs; only the servers come from the environment.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The dependencies first, in a layer of their own that a code change does not invalidate: only pyproject.toml goes
# in, and its [project] dependencies (not the `dev` tools, not the `embedded` servers `make run` uses) are installed.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the code, as a regular (not editable) install whose dependencies are already there.
COPY . .
RUN pip install --no-deps .

# Never run as root; uploaded files live in a volume mounted at /data/storage, owned by this user.
RUN useradd --system --create-home --uid 10001 studio \
    && mkdir -p /data/storage \
    && chown -R studio:studio /data
USER studio

ENV ENVIRONMENT=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data \
    STORAGE_DIR=/data/storage

EXPOSE 8000

CMD ["sh", "-c", "python -m alembic upgrade head && python -m services.bootstrap && exec python -m uvicorn graph.app:app --host \"$HOST\" --port \"$PORT\" --http graph.slow_clients:SlowHeadersProtocol --no-proxy-headers"]
