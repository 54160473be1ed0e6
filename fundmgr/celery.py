"""The Celery app. Broker: Redis when REDIS_URL is set; otherwise tasks run eagerly (embedded mode).

PostgreSQL is the system of record and Redis only carries messages: every job records its state
in the database, acknowledges late and is re-queued when a worker dies, so a lost message or a
killed worker delays work but never loses it.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fundmgr.settings")

app = Celery("fundmgr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
