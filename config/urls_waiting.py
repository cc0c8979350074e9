"""The URLs of requests that wait (config/serving.py routes them to Django's ASGI handler):
the async views first, then every other URL, so that reverse() works as anywhere else."""

from django.conf import settings
from django.urls import include, path

from shopify_integration.proxy.waiting import generation_wait_view

urlpatterns = [
    path("proxy/public/generation/<str:job_id>", generation_wait_view),
    path("", include(settings.ROOT_URLCONF)),
]
