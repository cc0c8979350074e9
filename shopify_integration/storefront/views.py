"""Demo storefront pages and the AJAX cart stand-in (development only)."""

import json
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from fittingroom.catalog.demo import DEMO_PRODUCTS, PRODUCT_GID, VARIANT_GID, DemoProduct
from fittingroom.engines.preview import engine_is_preview
from shopify_integration.models import Shop
from shopify_integration.storefront.cart import (
    UnknownVariant,
    cart_add,
    cart_attributes_update,
    cart_get,
)
from shopify_integration.storefront.words import colour_name, description_for, words_for

LOCALES = ("en", "fr", "es", "de")


def _locale(request: HttpRequest) -> str:
    """Plays Shopify's `request.locale.iso_code`: `?locale=fr` picks the shop language."""
    value = request.GET.get("locale", "en")
    return value if value in LOCALES else "en"


def _product(handle: str) -> DemoProduct:
    for product in DEMO_PRODUCTS:
        if product.handle == handle:
            return product
    raise Http404(handle)


def widget_context(*, product: DemoProduct, variant_id: int, locale: str) -> dict:
    """What the Liquid block puts in its data attributes, for the same product."""
    return {
        "product_id": PRODUCT_GID.format(product.id),
        "product_title": product.title,
        "variant_id": VARIANT_GID.format(variant_id),
        "locale": locale,
        "proxy_base": settings.DEV_PROXY_PATH_PREFIX,
        "shop_root": "/",
        "customer": "false",
        "placement": "cart",
        "align": "stretch",
        "label": "",
    }


@require_GET
def index_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "storefront/index.html",
        {"products": DEMO_PRODUCTS, **_store(request), **_cart(request)},
    )


@require_GET
def product_view(request: HttpRequest, handle: str) -> HttpResponse:
    product = _product(handle)
    variants = {str(variant.id): variant for variant in product.variants}
    selected = variants.get(request.GET.get("variant", ""), product.variants[0])
    locale = _locale(request)
    return render(
        request,
        "storefront/product.html",
        {
            "product": product,
            "selected": selected,
            "description": description_for(product.handle, product.description, locale),
            "colours": [(v, colour_name(v.title, locale)) for v in product.variants],
            "widget": widget_context(product=product, variant_id=selected.id, locale=locale),
            **_store(request),
            **_cart(request),
        },
    )


@require_GET
def cart_view(request: HttpRequest) -> HttpResponse:
    return render(request, "storefront/cart.html", {**_store(request), **_cart(request)})


@require_GET
def cart_js_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(cart_get(session=request.session))


@csrf_exempt  # Shopify's cart takes plain POSTs from theme scripts; so does its stand-in
@require_POST
def cart_add_js_view(request: HttpRequest) -> JsonResponse:
    """`POST /cart/add.js` with JSON `{items: [{id, quantity}]}` or `{id, quantity}`."""
    try:
        body = json.loads(request.body or b"{}")
        items = body.get("items", [body])
        added = [
            cart_add(
                session=request.session,
                variant_id=int(item["id"]),
                quantity=int(item.get("quantity", 1)),
                properties=item.get("properties") or None,
            )
            for item in items
        ]
    except (ValueError, TypeError, KeyError, AttributeError, UnknownVariant):
        return JsonResponse(
            {"status": 422, "message": "Cart Error", "description": "Cannot find variant"},
            status=422,
        )
    return JsonResponse({"items": added} if "items" in body else added[0])


@csrf_exempt
@require_POST
def cart_update_js_view(request: HttpRequest) -> JsonResponse:
    """`POST /cart/update.js` with JSON `{attributes: {...}}` (what the widget sends)."""
    try:
        attributes = json.loads(request.body or b"{}").get("attributes") or {}
        if not isinstance(attributes, dict):
            raise TypeError("attributes")
    except (ValueError, TypeError, AttributeError):
        return JsonResponse({"status": 422, "message": "Cart Error"}, status=422)
    return JsonResponse(cart_attributes_update(session=request.session, attributes=attributes))


@csrf_exempt
@require_POST
def cart_add_form_view(request: HttpRequest) -> HttpResponse:
    """The product form's own submit (no JavaScript): add, then show the cart."""
    try:
        cart_add(
            session=request.session,
            variant_id=int(request.POST.get("id", "")),
            quantity=int(request.POST.get("quantity", "1")),
        )
    except (ValueError, UnknownVariant):
        return HttpResponse("Cannot find variant", status=422, content_type="text/plain")
    return redirect("storefront-cart")


def _store(request: HttpRequest) -> dict:
    """The locale, its words, language links that keep the rest of the query (the colour), and
    whether try-ons here are the local engine's no-AI preview."""
    locale = _locale(request)
    links = [
        (code, "?" + urlencode(dict(request.GET.items()) | {"locale": code})) for code in LOCALES
    ]
    demo_shop = Shop.objects.select_related("account").filter(domain=settings.DEMO_SHOP_DOMAIN)
    shop = demo_shop.first()
    return {
        "locale": locale,
        "words": words_for(locale),
        "language_links": links,
        "engine_is_preview": engine_is_preview(account=shop.account if shop else None),
    }


def _cart(request: HttpRequest) -> dict:
    return {"cart": cart_get(session=request.session)}
