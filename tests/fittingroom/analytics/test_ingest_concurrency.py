"""The same batch ingested by several web processes at once still counts once (real threads,
real PostgreSQL or SQLite transactions)."""

import threading

import pytest
from django.db import connection

from fittingroom.analytics.events import batch_parse
from fittingroom.analytics.models import DailyCounter, TrackingEvent
from fittingroom.analytics.services import events_ingest
from tests.shopify_integration.analytics.funnel import batch, event

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_batch_sent_by_four_threads_at_once_counts_once(shop):
    body = batch(*(event("widget:button_click") for _ in range(30)), event("widget:result_view"))
    overlapping = batch(*body["events"][10:], event("widget:result_view"))
    barrier, errors, new = threading.Barrier(4), [], []

    def send(payload: dict) -> None:
        try:
            barrier.wait()
            new.append(
                events_ingest(
                    account=shop.account, batch=batch_parse(payload), shopper_key="visitor:x"
                )
            )
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(p,)) for p in (body, body, overlapping, body)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(new) == 32 == TrackingEvent.objects.count()
    counts = dict(DailyCounter.objects.values_list("event", "count"))
    assert counts == {"widget:button_click": 30, "widget:result_view": 2}
