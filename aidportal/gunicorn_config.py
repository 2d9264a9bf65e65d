"""gunicorn's settings for the portal: `gunicorn aidportal.wsgi -c python:aidportal.gunicorn_config`
(bind address and workers on the command line)."""

import os

from prometheus_client import multiprocess


def child_exit(server, worker):
    # With PROMETHEUS_MULTIPROC_DIR the workers' metrics are summed from files there: a worker
    # that has exited no longer counts in the live gauges (its counters stay in the sums).
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
