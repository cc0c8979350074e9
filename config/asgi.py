"""The web application (Procfile `web`): plain requests on a fixed pool of threads through
Django's WSGI handler, requests that wait through Django's ASGI handler (config/serving.py).
Bodies over their route's cap are refused in front of both (config/bodylimit.py), before
Django reads (and spools) them."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIHandler, ASGIRequest  # noqa: E402

from config.bodylimit import AsgiBodyLimit  # noqa: E402
from config.serving import router  # noqa: E402
from config.wsgi import application as django_wsgi  # noqa: E402  (capped as WSGI too)


class WaitingRequest(ASGIRequest):
    urlconf = "config.urls_waiting"  # the async views of the URLs that wait


class WaitingHandler(ASGIHandler):
    request_class = WaitingRequest


application = AsgiBodyLimit(
    router(
        plain_wsgi=django_wsgi,
        waiting_asgi=WaitingHandler(),
        threads=settings.WEB_THREADS,
        conn_max_age=settings.WEB_CONN_MAX_AGE,
    )
)
