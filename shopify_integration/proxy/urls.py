from django.urls import path

from shopify_integration.proxy import apis, waiting

urlpatterns = [
    path("upload-image", apis.ProxyImageUploadApi.as_view(), name="proxy-upload-image"),
    path("prepare-upload", apis.ProxyPrepareUploadApi.as_view(), name="proxy-prepare-upload"),
    path("upload-complete", apis.ProxyUploadCompleteApi.as_view(), name="proxy-upload-complete"),
    path("fitting-room", apis.ProxyFittingRoomApi.as_view(), name="proxy-fitting-room"),
    path("generation/<str:job_id>", waiting.generation_status_view, name="proxy-generation"),
    path("check-credits", apis.ProxyCheckCreditsApi.as_view(), name="proxy-check-credits"),
]
