import time

import pytest
from django.core import signing

from fittingroom.generations.services import generation_render
from tests.conftest import DEMO_DOMAIN

# check-credits also carries the progress estimate and the photo retention period.
NO_ESTIMATE = {"typicalSeconds": None, "retentionDays": 7}

pytestmark = pytest.mark.django_db


def create_job(proxy, image_id, product="gid://shopify/Product/1001"):
    response = proxy.post_json("fitting-room", {"userImageId": image_id, "productId": product})
    return response.json()["jobId"]


def local_path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_a_new_job_reads_pending_without_a_result(proxy, uploaded_image):
    job = create_job(proxy, uploaded_image)

    body = proxy.get(f"generation/{job}").json()

    assert body["generationId"] == job
    assert body["status"] == "PENDING"
    assert body["resultImageUrl"] is None
    assert body["errorCode"] is None
    assert set(body) == {
        "generationId",
        "status",
        "resultImageUrl",
        "errorCode",
        "errorMessage",
        "reused",
        "createdAt",
        "updatedAt",
    }


def test_a_rendered_job_reads_completed_with_a_signed_result_url(proxy, uploaded_image):
    job = create_job(proxy, uploaded_image)
    generation_render(generation_id=job)

    body = proxy.get(f"generation/{job}").json()

    assert body["status"] == "COMPLETED", body
    image = proxy.client.get(local_path(body["resultImageUrl"]))
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"


def test_a_result_url_stops_working_when_it_expires_or_is_altered(
    proxy, uploaded_image, settings, monkeypatch
):
    job = create_job(proxy, uploaded_image)
    generation_render(generation_id=job)
    url = local_path(proxy.get(f"generation/{job}").json()["resultImageUrl"])

    assert proxy.client.get(url[:-3] + "abc").status_code == 404
    later = time.time() + settings.SIGNED_URL_MAX_AGE + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert proxy.client.get(url).status_code == 404


def test_a_job_of_another_shop_is_not_found(proxy, uploaded_image, other_shop):
    job = create_job(proxy, uploaded_image)

    response = proxy.as_(shop=other_shop.domain).get(f"generation/{job}")

    assert response.status_code == 404
    assert response.json()["code"] == "GENERATION_NOT_FOUND"


def test_an_unknown_job_is_not_found(proxy):
    assert proxy.get("generation/gen_doesnotexist").status_code == 404


@pytest.mark.parametrize("job_id", ["gen_%00abc", "file_abc", "gen_" + "a" * 300, "%F0%9F%98%80"])
def test_a_malformed_job_id_is_not_found_not_a_server_error(proxy, job_id):
    assert proxy.get(f"generation/{job_id}").status_code == 404


def test_check_credits_allows_an_active_shop_with_quota(proxy):
    answer = proxy.get("check-credits").json()
    assert answer == {"allowed": True} | NO_ESTIMATE


def test_check_credits_says_no_when_the_quota_is_used(proxy, shop):
    shop.account.quota_limit = 0
    shop.account.save()

    assert (
        proxy.get("check-credits").json()
        == {"allowed": False, "code": "QUOTA_EXCEEDED"} | NO_ESTIMATE
    )


def test_check_credits_says_no_without_an_active_plan(proxy, shop, settings):
    settings.FREE_MONTHLY_ALLOWANCE = 0
    shop.billing_status = "none"
    shop.save()

    assert (
        proxy.get("check-credits").json()
        == {"allowed": False, "code": "BILLING_NOT_ALLOWED"} | NO_ESTIMATE
    )


def test_the_development_proxy_signs_as_the_demo_shop_and_forwards(client, shop):
    assert shop.domain == DEMO_DOMAIN

    response = client.get("/apps/fitting-room/public/check-credits?signature=forged&shop=evil")

    assert response.status_code == 200
    assert response.json() == {"allowed": True} | NO_ESTIMATE


def test_the_development_proxy_is_absent_from_production_routes():
    from config.urls import build_urlpatterns

    names = [getattr(pattern, "name", None) for pattern in build_urlpatterns(debug=False)]
    assert "dev-proxy" not in names
    assert "dev-proxy" in [getattr(p, "name", None) for p in build_urlpatterns(debug=True)]


def test_a_poll_is_one_statement(proxy, uploaded_image, django_assert_num_queries):
    job = create_job(proxy, uploaded_image)

    with django_assert_num_queries(1):  # the shop and the job, read together (no shop cache)
        response = proxy.get(f"generation/{job}")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_an_uninstalled_shop_s_poll_says_so(proxy, uploaded_image, shop):
    job = create_job(proxy, uploaded_image)
    shop.is_installed = False
    shop.save()

    response = proxy.get(f"generation/{job}")

    assert response.status_code == 403
    assert response.json()["code"] == "SHOP_NOT_INSTALLED"
