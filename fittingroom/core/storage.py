"""Files in Django's default storage, handed out only through signed, expiring URLs."""

import mimetypes

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.http import FileResponse, Http404, HttpRequest

_SALT = "fittingroom.files"


def signed_file_url(name: str) -> str:
    """An absolute URL that serves `name` until SIGNED_URL_MAX_AGE passes: our own signed route
    for local files, the object store's presigned URL otherwise."""
    if not isinstance(storages["default"], FileSystemStorage):
        return default_storage.url(name)
    token = signing.dumps(name, salt=_SALT, compress=True)
    return f"{settings.PUBLIC_BASE_URL}/files/{token}"


def signed_file_view(request: HttpRequest, token: str) -> FileResponse:
    try:
        name = signing.loads(token, salt=_SALT, max_age=settings.SIGNED_URL_MAX_AGE)
    except signing.BadSignature as error:  # SignatureExpired is a subclass
        raise Http404 from error
    if not isinstance(name, str) or not default_storage.exists(name):
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = f"private, max-age={settings.SIGNED_URL_MAX_AGE}"
    response["X-Content-Type-Options"] = "nosniff"
    # The storefront widget runs on the shop's domain and fetches the result to offer a download;
    # the signed, expiring URL is the capability, so any origin may read it.
    response["Access-Control-Allow-Origin"] = "*"
    return response
