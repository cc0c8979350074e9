"""/s/<token>: the public page of a shared try-on, for anyone with the link (no login), with
Open Graph and Twitter Card tags so chats and social networks show the picture."""

import mimetypes

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from fittingroom.core.errors import NotFound
from fittingroom.sharing.services import share_link_live, share_link_view


@require_safe
def share_page_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = (
            share_link_view(token=token)
            if request.method == "GET"
            else share_link_live(token=token)
        )
    except NotFound:
        return render(request, "sharing/gone.html", status=404)
    image_url = settings.PUBLIC_BASE_URL + reverse("share-image", args=[link.token])
    page_url = settings.PUBLIC_BASE_URL + reverse("share-page", args=[link.token])
    response = render(
        request,
        "sharing/share.html",
        {"link": link, "image_url": image_url, "page_url": page_url},
    )
    response["Cache-Control"] = "no-store"  # each visit counts; a revoked link goes at once
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def share_image_view(request: HttpRequest, token: str) -> FileResponse:
    """The shared image at a stable URL (og:image must load whenever a crawler comes by)."""
    try:
        link = share_link_live(token=token)
    except NotFound as error:
        raise Http404 from error
    storage = link.image.storage
    if not storage.exists(link.image.name):
        raise Http404
    content_type = mimetypes.guess_type(link.image.name)[0] or "image/jpeg"
    response = FileResponse(storage.open(link.image.name, "rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
