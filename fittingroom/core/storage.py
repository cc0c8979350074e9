"""Files in Django's default storage, handed out only through signed, expiring URLs."""

import mimetypes
import tempfile

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

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


# --- Direct upload: a signed, expiring PUT of raw bytes to one object name --------------------

_UPLOAD_SALT = "fittingroom.uploads"
_CHUNK = 256 * 1024


def signed_upload_url(name: str, *, expires_in: int) -> str:
    """Where a client PUTs the raw bytes of `name` (Content-Type: application/octet-stream)
    until `expires_in` seconds pass: the bucket's presigned PUT with S3, else our own route."""
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage):
        return storage.bucket.meta.client.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": storage.bucket_name,
                "Key": storage._normalize_name(name),
                "ContentType": "application/octet-stream",
            },
            ExpiresIn=expires_in,
        )
    token = signing.dumps({"name": name, "ttl": expires_in}, salt=_UPLOAD_SALT, compress=True)
    return f"{settings.PUBLIC_BASE_URL}/uploads/{token}"


@csrf_exempt
def signed_upload_view(request: HttpRequest, token: str) -> HttpResponse:
    """Our stand-in for a bucket's presigned PUT: one write of at most DIRECT_UPLOAD_MAX_BYTES,
    streamed to a temporary file (never held in memory), while the token is valid."""
    if request.method == "OPTIONS":  # the widget PUTs from the shop's origin
        return _cors(HttpResponse(status=204))
    if request.method != "PUT":
        return _cors(JsonResponse(_upload_error("METHOD_NOT_ALLOWED", 405), status=405))
    try:
        claim = signing.loads(token, salt=_UPLOAD_SALT, max_age=settings.DIRECT_UPLOAD_TTL_SECONDS)
        name = claim["name"]
    except (signing.BadSignature, KeyError, TypeError):
        return _cors(JsonResponse(_upload_error("UPLOAD_URL_INVALID", 403), status=403))
    limit = settings.DIRECT_UPLOAD_MAX_BYTES
    declared = request.META.get("CONTENT_LENGTH") or ""
    if not declared.isdigit() or int(declared) > limit:
        status, code = (
            (411, "LENGTH_REQUIRED") if not declared.isdigit() else (413, "FILE_TOO_LARGE")
        )
        return _cors(JsonResponse(_upload_error(code, status), status=status))
    if default_storage.exists(name):
        return _cors(JsonResponse(_upload_error("UPLOAD_EXISTS", 409), status=409))
    with tempfile.SpooledTemporaryFile(max_size=_CHUNK) as spool:
        while chunk := request.read(_CHUNK):
            spool.write(chunk)
        spool.seek(0)
        default_storage.save(name, File(spool))
    return _cors(HttpResponse(status=200))


def _upload_error(code: str, status: int) -> dict:
    messages = {
        "METHOD_NOT_ALLOWED": "PUT the raw bytes of the photo.",
        "UPLOAD_URL_INVALID": "The upload URL is invalid or expired. Prepare another upload.",
        "LENGTH_REQUIRED": "Send Content-Length.",
        "FILE_TOO_LARGE": f"The file is larger than {settings.DIRECT_UPLOAD_MAX_BYTES >> 20} MB.",
        "UPLOAD_EXISTS": "This upload URL was used already. Prepare another upload.",
    }
    return {"code": code, "message": messages[code], "status": status, "details": []}


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "PUT, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = "600"
    return response
