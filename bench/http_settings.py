"""Settings for the HTTP benchmarks' gunicorn (`bench/httpbench.py`): `load_settings` (production
settings with the per-address limits lifted) plus the bare baseline views of `bench_urls`, so the
app and its baselines are served by the same server, workers and middleware."""

from load_settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
