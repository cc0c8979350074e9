"""The worker's loop in the test's own thread: run each generation's steps when they are due,
as the countdown tasks would, against the real database, Redis and loopback providers.

Countdowns are scaled by `time_scale` (a test's providers answer in a fraction of a second),
so the shared limits (provider slots, status-call budget, circuit breaker) are exercised as a
worker exercises them, only faster.
"""

import heapq
import itertools
import time
from collections.abc import Callable, Iterable

from django.db.models import Count, Sum

from fittingroom.accounts.models import CreditLedgerEntry
from fittingroom.catalog import source_named
from fittingroom.generations.models import Generation
from fittingroom.generations.services import generation_create, generation_poll, generation_render
from fittingroom.limits.shoppers import Shopper


def run_worker(
    ids: Iterable[str],
    *,
    time_scale: float = 0.25,
    timeout: float = 60.0,
    between: Callable[[], None] | None = None,
    first: str = "render",
) -> dict[str, Generation]:
    """Render each generation, then run what each step asks for when it is due, until every
    one is finished or `timeout` passes. `between` runs before each step (to look at the
    provider, or break it mid-run); `first="poll"` starts with a look at submitted jobs.
    Returns the generations by id."""
    ids = list(ids)
    order = itertools.count()
    due = [(time.monotonic(), next(order), first, job) for job in ids]
    deadline = time.monotonic() + timeout
    while due and time.monotonic() < deadline:
        at, _, kind, job = heapq.heappop(due)
        time.sleep(max(0.0, at - time.monotonic()))
        if between is not None:
            between()
        step = (generation_render if kind == "render" else generation_poll)(generation_id=job)
        if step.poll_in is not None:
            later = time.monotonic() + step.poll_in * time_scale
            heapq.heappush(due, (later, next(order), "poll", job))
        elif step.retry_in is not None:
            later = time.monotonic() + step.retry_in * time_scale
            heapq.heappush(due, (later, next(order), "render", job))
    return {g.id: g for g in Generation.objects.filter(id__in=ids)}


def create(account, image, count: int) -> list[str]:
    garment = source_named("demo").garment_for(
        account=account, product_id="gid://shopify/Product/1001", variant_id=None
    )
    return [
        generation_create(
            account=account,
            shopper=Shopper(key=f"s{i}", ip="127.0.0.1"),
            person_image=image,
            garment=garment,
            catalog_source="demo",
        ).id
        for i in range(count)
    ]


def charges(account) -> dict[str, int]:
    """Per generation, the sum of its ledger entries (-1: charged once, 0: refunded)."""
    rows = (
        CreditLedgerEntry.objects.filter(account=account)
        .exclude(generation_id="")
        .values("generation_id")
        .annotate(total=Sum("delta"), entries=Count("id"))
    )
    return {row["generation_id"]: (row["total"], row["entries"]) for row in rows}
