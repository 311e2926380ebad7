"""gunicorn settings for JHOP: `gunicorn -c deploy/gunicorn.conf.py jhop.wsgi`.

The app is loaded once in the master (preload_app) and the XML schemas the publish gate
validates against are compiled there before gunicorn listens (on_starting), so every
worker, including those started after a crash or max_requests, inherits them: no request
waits for a schema. A consequence of preloading: `systemctl reload` (HUP) keeps the old
code; an upgrade is a restart.

Overridable from the environment: GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_TIMEOUT.
"""

import multiprocessing
import os

bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# A publish validates every article of an issue (about 15 ms each once the schemas are
# loaded); 60 s leaves room for a large issue on a busy machine.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
preload_app = True
accesslog = "-"
errorlog = "-"
# nginx on the same host; the client's address comes from X-Forwarded-For
# (TRUSTED_PROXY_COUNT), not from gunicorn.
forwarded_allow_ips = "127.0.0.1,::1"


def on_starting(server):
    if not server.cfg.preload_app:
        return  # each worker loads the app itself: it would load the schemas on first use
    from articles.scholarly import schemas

    schemas.warm()
    server.log.info("XML schemas loaded")
