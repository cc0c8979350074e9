from django.urls import path

from shopify_integration.customers.apis import CollectEmailApi
from shopify_integration.proxy import apis, sharing, tracking, waiting

urlpatterns = [
    path("upload-image", apis.ProxyImageUploadApi.as_view(), name="proxy-upload-image"),
    path("prepare-upload", apis.ProxyPrepareUploadApi.as_view(), name="proxy-prepare-upload"),
    path("upload-complete", apis.ProxyUploadCompleteApi.as_view(), name="proxy-upload-complete"),
    path("fitting-room", apis.ProxyFittingRoomApi.as_view(), name="proxy-fitting-room"),
    path("generation/<str:job_id>", waiting.generation_status_view, name="proxy-generation"),
    path("check-credits", apis.ProxyCheckCreditsApi.as_view(), name="proxy-check-credits"),
    # Does try-on sell? (issue 15)
    path("tracking/events", tracking.TrackingEventsApi.as_view(), name="proxy-tracking-events"),
    path("share-generation", sharing.ShareGenerationApi.as_view(), name="proxy-share"),
    path(
        "share-generation/<str:token>",
        sharing.ShareGenerationRevokeApi.as_view(),
        name="proxy-share-revoke",
    ),
    path("collect-email", CollectEmailApi.as_view(), name="proxy-collect-email"),
]
