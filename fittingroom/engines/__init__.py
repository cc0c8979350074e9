"""Try-on engines and the registry that picks one by name.

Adding an engine is one module implementing ``TryOnEngine`` plus one line in ``ENGINES``.
"""

from __future__ import annotations

from fittingroom.engines.base import (
    EngineError,
    EngineLimits,
    GarmentImageInvalid,
    NoPersonDetected,
    TryOnEngine,
)
from fittingroom.engines.fal import FalEngine
from fittingroom.engines.fashn import FashnEngine
from fittingroom.engines.local import LocalEngine
from fittingroom.engines.vertex import VertexEngine

ENGINES: dict[str, type] = {
    LocalEngine.name: LocalEngine,
    FashnEngine.name: FashnEngine,
    VertexEngine.name: VertexEngine,
    FalEngine.name: FalEngine,
}


class UnknownEngine(ValueError):
    """Raised by ``get_engine`` for a name that is not in ``ENGINES``."""


def get_engine(name: str) -> TryOnEngine:
    """Return a new instance of the engine registered as ``name``."""
    try:
        engine_class = ENGINES[name]
    except KeyError:
        known = ", ".join(sorted(ENGINES))
        raise UnknownEngine(f"Unknown try-on engine {name!r} (known: {known}).") from None
    return engine_class()


def engine_limits(name: str) -> EngineLimits:
    """What the engine registered as ``name`` declares about its provider (no limits for an
    unknown name or an engine that declares none)."""
    limits = getattr(ENGINES.get(name), "limits", None)
    return limits() if limits is not None else EngineLimits()


__all__ = [
    "ENGINES",
    "EngineError",
    "EngineLimits",
    "GarmentImageInvalid",
    "LocalEngine",
    "NoPersonDetected",
    "TryOnEngine",
    "UnknownEngine",
    "engine_limits",
    "get_engine",
]
