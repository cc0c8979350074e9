"""The operators' admin pages for generations, shops and accounts, as a superuser uses them."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.generations.models import Generation
from fittingroom.generations.services import generation_render
from fittingroom.images.models import PersonImage
from tests.conftest import make_shop
from tests.fittingroom.generations.test_operators import failed_try_on, quota_used, try_on

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/generations/generation/"


def bulk_generations(account: Account, count: int, **fields) -> list[Generation]:
    """Rows as the worker leaves them, each with its own photo row (files not needed)."""
    now = timezone.now()
    images = PersonImage.objects.bulk_create(
        PersonImage(
            account=account,
            shopper_key=f"visitor:bulk-{n:06d}",
            image=f"person/bulk/{n}.jpg",
            sha256="0" * 64,
            expires_at=now + timedelta(days=7),
        )
        for n in range(count)
    )
    values = {
        "status": Generation.Status.COMPLETED,
        "engine": "local",
        "catalog_source": "demo",
        "product_id": "gid://shopify/Product/1001",
        "garment_image_ref": "demo:tshirt-white.png",
        "client_ip": "203.0.113.7",
        "deadline_at": now + timedelta(minutes=3),
        "started_at": now,
        "finished_at": now + timedelta(seconds=1),
        "result_image": "results/bulk/r.jpg",
    } | fields
    return Generation.objects.bulk_create(
        Generation(account=account, shopper_key=image.shopper_key, person_image=image, **values)
        for image in images
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def post_action(admin_client, action: str, ids: list[str], **extra):
    body = {"action": action, "_selected_action": ids, **extra}
    return admin_client.post(CHANGELIST, body, follow=not extra)


# --- changelist ----------------------------------------------------------------------------


def test_the_changelist_renders_with_every_filter_and_a_constant_number_of_queries(
    admin_client, shop
):
    bulk_generations(shop.account, 3)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(CHANGELIST).status_code == 200
    bulk_generations(shop.account, 40)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.content.count(b'class="fr-thumb"') == 3 * 43  # photo, garment, result
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    print(f"\nqueries per generations changelist page: {len(many)}")

    today = timezone.localdate()
    filtered = admin_client.get(
        CHANGELIST,
        {
            "status__exact": "COMPLETED",
            "engine__exact": "local",
            "account__id__exact": shop.account_id,
            "account__kind__exact": "shop",
            "created_at__year": today.year,
            "created_at__month": today.month,
            "created_at__day": today.day,
            "refunded": "no",
        },
    )
    assert filtered.status_code == 200
    assert filtered.context["cl"].result_count == 43


def test_filters_and_search_narrow_the_list(admin_client, shop, other_shop):
    mine = bulk_generations(shop.account, 2)
    failed = bulk_generations(
        other_shop.account, 1, status=Generation.Status.FAILED, error_code="ENGINE_ERROR"
    )[0]

    by_status = admin_client.get(CHANGELIST, {"status__exact": "FAILED"})
    by_shop = admin_client.get(CHANGELIST, {"account__id__exact": shop.account_id})
    by_id = admin_client.get(CHANGELIST, {"q": failed.id})
    by_shopper = admin_client.get(CHANGELIST, {"q": mine[1].shopper_key})
    by_code = admin_client.get(CHANGELIST, {"error_code": "ENGINE_ERROR"})

    assert [g.id for g in by_status.context["cl"].result_list] == [failed.id]
    assert {g.id for g in by_shop.context["cl"].result_list} == {g.id for g in mine}
    assert [g.id for g in by_id.context["cl"].result_list] == [failed.id]
    assert [g.id for g in by_shopper.context["cl"].result_list] == [mine[1].id]
    assert [g.id for g in by_code.context["cl"].result_list] == [failed.id]


def test_the_change_page_shows_three_thumbnails_and_the_timings(admin_client, proxy, person_jpeg):
    generation = try_on(proxy, person_jpeg)
    generation_render(generation_id=generation.id)

    response = admin_client.get(f"{CHANGELIST}{generation.id}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="fr-thumb"') == 3
    assert "/files/" in page and "/static/demo/garments/" in page
    assert "Queued" in page and "Render" in page


def test_the_change_page_says_when_an_image_is_expired_or_missing(admin_client, proxy, person_jpeg):
    generation = try_on(proxy, person_jpeg)
    generation_render(generation_id=generation.id)
    generation.refresh_from_db()
    default_storage.delete(generation.result_image.name)
    PersonImage.objects.filter(id=generation.person_image_id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = admin_client.get(f"{CHANGELIST}{generation.id}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="fr-thumb"') == 1  # the garment only
    assert "expired" in page and "file missing" in page


# --- actions -------------------------------------------------------------------------------


def test_the_retry_action_retries_failed_ones_and_reports_the_others(
    admin_client, proxy, shop, person_jpeg
):
    failed = failed_try_on(proxy, person_jpeg)
    pending = try_on(proxy, person_jpeg, "456")

    response = post_action(admin_client, "retry_failed", [failed.id, pending.id])

    assert response.status_code == 200
    assert messages_of(response) == ["Retried 1 generation(s). Not retried: 1 NOT_FAILED."]
    assert Generation.objects.filter(retry_of=failed).count() == 1
    assert quota_used(shop) == 2


def test_the_refund_action_refunds_once(admin_client, proxy, shop, person_jpeg):
    generation = try_on(proxy, person_jpeg)
    generation_render(generation_id=generation.id)

    first = post_action(admin_client, "refund", [generation.id])
    second = post_action(admin_client, "refund", [generation.id])

    assert messages_of(first) == ["Refunded 1 generation(s)."]
    assert messages_of(second) == ["Refunded 0 generation(s). Not refunded: 1 ALREADY_REFUNDED."]
    assert quota_used(shop) == 0


def test_deleting_shopper_data_asks_first_then_erases(admin_client, proxy, shop, person_jpeg):
    generation = try_on(proxy, person_jpeg)
    generation_render(generation_id=generation.id)
    other = try_on(proxy, person_jpeg, "456")

    confirm = post_action(admin_client, "delete_shopper_data", [generation.id], index="0")

    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "customer:123" in page and "customer:456" not in page
    assert 'name="post" value="yes"' in page
    assert Generation.objects.get(id=generation.id).shopper_key == "customer:123"

    done = admin_client.post(
        CHANGELIST,
        {"action": "delete_shopper_data", "_selected_action": [generation.id], "post": "yes"},
        follow=True,
    )

    assert messages_of(done) == [
        "Deleted the data of 1 shopper(s): 1 photo(s), 1 result image(s); "
        "1 generation(s) anonymised."
    ]
    assert Generation.objects.get(id=generation.id).shopper_key == "redacted"
    assert Generation.objects.get(id=other.id).shopper_key == "customer:456"


def test_generations_cannot_be_deleted_or_added_by_hand(admin_client, shop):
    generation = bulk_generations(shop.account, 1)[0]
    assert admin_client.get(f"{CHANGELIST}{generation.id}/delete/").status_code == 403
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    actions = admin_client.get(CHANGELIST).context["action_form"].fields["action"].choices
    assert "delete_selected" not in dict(actions)


# --- shops and accounts --------------------------------------------------------------------


def test_the_shops_list_shows_plan_usage_and_state_with_filters(admin_client, shop):
    Account.objects.filter(id=shop.account_id).update(
        quota_used=125, quota_period_end=timezone.now() + timedelta(days=3)
    )
    make_shop("gone.myshopify.com", is_installed=False, needs_reauth=True)

    page = admin_client.get("/admin/shopify_integration/shop/")
    uninstalled = admin_client.get(
        "/admin/shopify_integration/shop/", {"is_installed__exact": "0", "needs_reauth__exact": "1"}
    )

    assert "125 / 500 (25 %)" in page.content.decode()
    assert [s.domain for s in uninstalled.context["cl"].result_list] == ["gone.myshopify.com"]
    change = admin_client.get(f"/admin/shopify_integration/shop/{shop.id}/change/")
    assert change.status_code == 200
    assert b"access_token_encrypted" not in change.content


def test_the_accounts_list_shows_credits_and_quota(admin_client, shop):
    page = admin_client.get("/admin/accounts/account/", {"kind__exact": "shop"})
    assert page.status_code == 200
    assert "0 / 500" in page.content.decode()
