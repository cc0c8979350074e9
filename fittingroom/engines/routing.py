"""Which engine renders a try-on: failover along TRYON_ENGINES.

A new generation records its preferred engine (the account's own, else the first of
TRYON_ENGINES). Each time it is about to start (first time or a retry, never once a provider
job exists) the preferred engine is used if its circuit admits it, else the next admitted
one in TRYON_ENGINES. When none admits, the preferred one is tried anyway: better an attempt
than a job parked until its deadline.
"""

from django.conf import settings

from fittingroom.engines.breaker import engine_admits


def engine_preferred(*, account_engine: str) -> str:
    """The engine a new generation is recorded with."""
    return account_engine or settings.TRYON_ENGINES[0]


def engine_chain(*, preferred: str) -> list[str]:
    """``preferred``, then the other engines of TRYON_ENGINES in their order."""
    return [preferred, *(name for name in settings.TRYON_ENGINES if name != preferred)]


def engine_route(*, preferred: str) -> str:
    """The engine a generation preferring ``preferred`` should start on now."""
    chain = engine_chain(preferred=preferred)
    if len(chain) == 1:  # nowhere else to go: no need to ask the breaker
        return preferred
    for name in chain:
        if engine_admits(name):
            return name
    return preferred
