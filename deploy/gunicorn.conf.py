"""gunicorn's settings for the portal behind nginx (`gunicorn -c deploy/gunicorn.conf.py
aidportal.wsgi`); the environment names the address and the size, so one file serves every
process of a deployment.

    GUNICORN_BIND      where to listen (127.0.0.1:8000); nginx is the only one to reach it
    GUNICORN_WORKERS   processes (2); GUNICORN_THREADS threads in each (4)
    GUNICORN_ERROR_LOG files, or "-" for standard error (the default)

The portal writes its own access log, one JSON line per request (logger `aidportal.access`),
so gunicorn writes none. With PROMETHEUS_MULTIPROC_DIR, `child_exit` forgets an exited worker.
"""

import os

from aidportal.gunicorn_config import child_exit  # noqa: F401  (a server hook, found by name)

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Threads overlap the waits on PostgreSQL and Redis; each thread keeps its own connection.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Workers fork from a loaded application: they start at once and share its memory.
preload_app = True
# Longer than nginx keeps an idle upstream connection (keepalive_timeout 30s in nginx.conf), so
# nginx, never gunicorn, closes it: a request never races the close.
keepalive = 35
timeout = 30
graceful_timeout = 30
# A worker is replaced after this many requests (with jitter, so not all at once).
max_requests = 5000
max_requests_jitter = 500
# One deployment runs several gunicorns on a machine; none needs the control socket.
control_socket_disable = True
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
# nginx's address is the only one gunicorn trusts for X-Forwarded-Proto.
forwarded_allow_ips = "127.0.0.1"
