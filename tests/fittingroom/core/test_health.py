import os

import pytest

from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_ready(settings):
    os.makedirs(settings.MEDIA_ROOT, exist_ok=True)


def test_it_is_healthy_when_database_broker_and_storage_answer(client, media_ready):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.fixture
def broker_down():
    saved = {key: celery_app.conf[key] for key in ("broker_url", "broker_transport_options")}
    celery_app.conf.update(broker_url="redis://127.0.0.1:1/0", broker_transport_options={})
    yield
    celery_app.conf.update(saved)


def test_it_names_an_unreachable_broker(client, media_ready, broker_down):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["broker"]}


def test_it_names_unreachable_storage(client, settings):
    settings.MEDIA_ROOT = "/nonexistent/fittingroom-media"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["storage"]
