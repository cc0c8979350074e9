from django.urls import path

from fittingroom.sharing import views

urlpatterns = [
    path("<str:token>", views.share_page_view, name="share-page"),
    path("<str:token>/image.jpg", views.share_image_view, name="share-image"),
]
