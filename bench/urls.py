"""Our URLs, plus the bare views scenario 1 measures ours against."""

from django.urls import path

from bench.baseline_views import bare_insert_view, bare_select_view
from config.urls import urlpatterns as ours

urlpatterns = [
    *ours,
    path("bench/bare/insert", bare_insert_view, name="bench-bare-insert"),
    path("bench/bare/row/<int:row_id>", bare_select_view, name="bench-bare-select"),
]
