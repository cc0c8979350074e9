"""The product item of the public API's bodies, declared once (see `shapes`): the product of
`POST /v1/try-on` and the body of `POST /v1/products`. These serializers are what the schema
documents, and they parse the item into a `ProductSpec`.
"""

from dataclasses import dataclass
from typing import Any

from rest_framework import serializers

from fittingroom.api.body_fields import (
    BodyObject,
    ClientId,
    JsonObject,
    Problems,
    Text,
    Token,
    url_problem,
)
from fittingroom.catalog import ProductImagesRequired
from fittingroom.products.services import MAX_IMAGE_URL_LENGTH, MAX_IMAGES

MAX_ID_LENGTH = 255
MAX_TITLE_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 5000
MAX_ROLE_LENGTH = 64
MAX_METADATA_BYTES = 8192


@dataclass(frozen=True)
class ImageSpec:
    """One product image as sent: a URL or the name of a multipart file part, and its role."""

    path: str
    url: str | None = None
    file_key: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class ProductSpec:
    """One product item as sent. `path` is where it sat in the body, for error details."""

    path: str
    external_id: str | None
    title: str | None = None
    description: str | None = None
    images: list[ImageSpec] | None = None
    metadata: dict | None = None

    @property
    def is_reference(self) -> bool:
        """Only an externalId: use the stored product as it is."""
        described = (self.title, self.description, self.images, self.metadata) != (None,) * 4
        return self.external_id is not None and not described


# --- Products --------------------------------------------------------------------------------


class ProductImageInputSerializer(serializers.Serializer):
    """One product image: exactly one of `url` or `fileKey` (a plain URL string is accepted
    too, the older shape), with an optional `role` (say `top-back`)."""

    url = serializers.URLField(max_length=MAX_IMAGE_URL_LENGTH, required=False)
    fileKey = Token(
        max_length=255,
        required=False,
        help_text="The name of a file part of this multipart/form-data request.",
    )
    role = Token(max_length=MAX_ROLE_LENGTH, required=False, allow_null=True)


class ProductImages(serializers.ListField):
    """Each image as Genlook's clients send it: `{url}` or `{fileKey}` with an optional `role`
    (also nested as `{source: {url | fileKey}}`), or a plain URL string (the older shape)."""

    def parse(self, value: Any, path: str, problems: Problems) -> list[ImageSpec] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            problems.add(path, "Must be an array of images ({url} or {fileKey}).")
            return None
        if len(value) > self.max_length:
            problems.add(path, f"At most {self.max_length} images.")
            return None
        images = [
            self._image(item, f"{path}[{index}]", problems) for index, item in enumerate(value)
        ]
        return [image for image in images if image is not None]

    def _image(self, item: Any, path: str, problems: Problems) -> ImageSpec | None:
        if isinstance(item, str):
            return _image_url(item, path, problems, role=None)
        if not isinstance(item, dict):
            problems.add(path, "Must be an object with url or fileKey (or a URL string).")
            return None
        fields = type(self.child)._declared_fields
        role = fields["role"].parse(item.get("role"), f"{path}.role", problems)
        source = item.get("source") if isinstance(item.get("source"), dict) else item
        given = [kind for kind in ("url", "fileKey") if source.get(kind) is not None]
        if len(given) != 1:
            problems.add(path, "Give exactly one of url or fileKey.")
            return None
        if given == ["url"]:
            return _image_url(source["url"], f"{path}.url", problems, role=role)
        key = fields["fileKey"].parse(source["fileKey"], f"{path}.fileKey", problems)
        return ImageSpec(path=f"{path}.fileKey", file_key=key, role=role) if key else None


def _image_url(url: Any, path: str, problems: Problems, *, role: str | None) -> ImageSpec | None:
    problem = url_problem(url)
    if problem is not None:
        problems.add(path, problem)
        return None
    return ImageSpec(path=path, url=url, role=role)


def images_field(**kwargs: Any) -> ProductImages:
    return ProductImages(
        child=ProductImageInputSerializer(),
        min_length=1,
        max_length=MAX_IMAGES,
        help_text="1 to 5 images; the first is tried on.",
        **kwargs,
    )


class ProductItemSerializer(BodyObject):
    """A product to try on: `{externalId}` alone references a stored product; with title,
    description and images it is created or updated (kept 15 days from its last use); without
    `externalId` it is a one-shot product (kept 7 days) that gets a server-generated id."""

    object_required = True
    fallbacks = {"images": "imageUrls"}

    externalId = ClientId(
        max_length=MAX_ID_LENGTH,
        required=False,
        help_text="Your id of the product (a SKU, say). Ids starting with `_anon_` are reserved.",
    )
    title = Text(max_length=MAX_TITLE_LENGTH, required=False, allow_blank=True)
    description = Text(max_length=MAX_DESCRIPTION_LENGTH, required=False, allow_blank=True)
    images = images_field(required=False)
    imageUrls = serializers.ListField(
        child=serializers.URLField(max_length=MAX_IMAGE_URL_LENGTH),
        required=False,
        help_text="Deprecated: plain image URLs; use `images`.",
    )
    metadata = JsonObject(
        max_bytes=MAX_METADATA_BYTES,
        required=False,
        allow_null=True,
        help_text="Your own JSON object, kept as is (8 KB).",
    )

    def build(self, values: dict[str, Any], *, path: str) -> ProductSpec:
        return ProductSpec(
            path=path,
            external_id=values["externalId"],
            title=values["title"],
            description=values["description"],
            images=values["images"],
            metadata=values["metadata"],
        )


def product_body_parse(body: Any) -> ProductSpec:
    """The body of `POST /v1/products`: a named product with its images."""
    problems = Problems()
    spec = ProductItemSerializer().parse(body, "", problems)
    if spec is not None and spec.external_id is None:
        problems.add("externalId", "This field is required.")
    problems.raise_if_any()
    assert spec is not None
    if not spec.images:
        raise ProductImagesRequired(
            details=[{"path": "images", "message": "Give 1 to 5 image URLs."}]
        )
    return spec


def client_id_valid(value: str, *, max_length: int = MAX_ID_LENGTH) -> bool:
    """Whether a string can be a client's id: non-blank printable text (no NUL, no lone
    surrogate) of at most `max_length` characters."""
    return bool(value.strip()) and value.isprintable() and len(value) <= max_length
