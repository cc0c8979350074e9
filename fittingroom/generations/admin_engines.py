"""The operators' engines page (/admin/generations/generation/engines/): each engine's
circuit state, its provider jobs in flight against its cap, and its last hour (p50 time from
start to result, and the failure rate of its provider calls), in TRYON_ENGINES order."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from fittingroom.engines import ENGINES, engine_limits
from fittingroom.engines.breaker import engine_state
from fittingroom.engines.capacity import slots_taken
from fittingroom.generations.selectors import engine_last_hour


@dataclass(frozen=True)
class EngineRow:
    name: str
    position: int | None  # 1-based place in TRYON_ENGINES; None when not in the failover list
    state: str
    in_flight: int | None
    cap: int | None
    p50_seconds: float | None
    calls: int
    failure_rate: float | None
    completed: int
    failed: int


def engine_rows() -> list[EngineRow]:
    """Engines of TRYON_ENGINES first, in their order, then the other registered ones."""
    order = list(dict.fromkeys([*settings.TRYON_ENGINES, *ENGINES]))
    rows = []
    for name in order:
        record, hour = engine_state(name), engine_last_hour(engine=name)
        cap = engine_limits(name).max_in_flight
        rows.append(
            EngineRow(
                name=name,
                position=settings.TRYON_ENGINES.index(name) + 1
                if name in settings.TRYON_ENGINES
                else None,
                state=record.state,
                in_flight=slots_taken(engine=name) if cap else None,
                cap=cap,
                p50_seconds=hour.p50_seconds,
                calls=record.calls,
                failure_rate=record.failure_rate,
                completed=hour.completed,
                failed=hour.failed,
            )
        )
    return rows


def engines_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Engines",
        "rows": engine_rows(),
        "breaker": {
            "failures": settings.ENGINE_BREAKER_FAILURES,
            "window": settings.ENGINE_BREAKER_WINDOW_SECONDS,
            "open_for": settings.ENGINE_BREAKER_OPEN_SECONDS,
        },
    }
    return TemplateResponse(request, "admin/generations/generation/engines.html", context)
