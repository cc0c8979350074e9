from django.urls import path

from shopify_integration.proxy import apis

urlpatterns = [
    path("upload-image", apis.ProxyImageUploadApi.as_view(), name="proxy-upload-image"),
    path("fitting-room", apis.ProxyFittingRoomApi.as_view(), name="proxy-fitting-room"),
    path(
        "generation/<str:job_id>", apis.ProxyGenerationStatusApi.as_view(), name="proxy-generation"
    ),
    path("check-credits", apis.ProxyCheckCreditsApi.as_view(), name="proxy-check-credits"),
]
