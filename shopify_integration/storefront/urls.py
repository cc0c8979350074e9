from django.urls import path

from shopify_integration.storefront import views

urlpatterns = [
    path("", views.index_view, name="storefront-index"),
    path("products/<slug:handle>", views.product_view, name="storefront-product"),
    path("cart", views.cart_view, name="storefront-cart"),
    path("cart.js", views.cart_js_view, name="storefront-cart-js"),
    path("cart/add.js", views.cart_add_js_view, name="storefront-cart-add-js"),
    path("cart/add", views.cart_add_form_view, name="storefront-cart-add"),
    path("cart/update.js", views.cart_update_js_view, name="storefront-cart-update-js"),
]
