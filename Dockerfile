# Production image: gunicorn serving Django, the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=fundmgr.settings

RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 poppler-utils \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 fundmgr

WORKDIR /app
COPY requirements/ requirements/
RUN pip install -r requirements/prod.txt

COPY . .
# Catalogues and static files are built into the image; collectstatic needs a key but no database.
RUN python scripts/compile_messages.py \
    && DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --no-input \
    && mkdir -p /data/media && chown -R fundmgr /data /app

USER fundmgr
EXPOSE 8000
CMD ["gunicorn", "fundmgr.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-class", "gthread", "--threads", "4", "--access-logfile", "-"]
