"""The field types the public API's bodies are declared with (in `shapes`).

Each is a DRF field, so drf-spectacular documents it as usual, and each knows how to read its
own value: `parse(value, path, problems)` returns the plain value (None when absent or wrong)
and reports what is wrong at the client's own path. One declaration, both uses.
"""

import json
from typing import Any

from drf_spectacular.serializers import PolymorphicProxySerializerExtension
from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from fittingroom.api.schema import OpaqueIdField
from fittingroom.core.errors import ValidationFailed
from fittingroom.products.services import product_images_problems


class Problems:
    """Collects every problem of a body, so one answer lists them all."""

    def __init__(self) -> None:
        self.details: list[dict[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.details.append({"path": path, "message": message})

    def raise_if_any(self) -> None:
        if self.details:
            raise ValidationFailed(details=self.details)


# --- Objects ---------------------------------------------------------------------------------


# A JSON object of a body: parses each declared field, in order, at `path.name`. (Said in a
# comment: a docstring would become the description of every object of the schema.)
# `required_keys`: absent is "This field is required."; `fallbacks`: a field read from a
# deprecated key when its own is absent; `object_required`: absent is "Must be an object.";
# `absent_as_empty`: absent (or not an object) reads as `{}`, so its fields take defaults.
class BodyObject(serializers.Serializer):
    required_keys: tuple[str, ...] = ()
    fallbacks: dict[str, str] = {}
    object_required = False
    absent_as_empty = False

    def parse(self, value: Any, path: str, problems: Problems) -> Any:
        item = parse_object(value, path, problems, required=self.object_required)
        if item is None:
            if not self.absent_as_empty:
                return None
            item = {}
        at = f"{path}.".lstrip(".")  # a body that is the object itself has no path of its own
        values: dict[str, Any] = {}
        for name, field in type(self)._declared_fields.items():
            if name in self.fallbacks.values():
                continue  # read in place of its successor
            given = item.get(name)
            if given is None and name in self.fallbacks:
                given = item.get(self.fallbacks[name])
            if given is None and name in self.required_keys:
                problems.add(f"{at}{name}", "This field is required.")
                values[name] = None
            else:
                values[name] = field.parse(given, f"{at}{name}", problems)
        return self.build(values, path=path)

    def build(self, values: dict[str, Any], *, path: str) -> Any:
        """The plain value of the parsed object; its fields' values by default."""
        return values


# An object holding exactly one of the keys its alternatives declare (one each).
class OneOf(PolymorphicProxySerializer):
    def parse(self, value: Any, path: str, problems: Problems) -> tuple[str, str] | None:
        options = [next(iter(option._declared_fields.items())) for option in self.serializers]
        source = value if isinstance(value, dict) else {}
        given = [(kind, field) for kind, field in options if source.get(kind) is not None]
        if len(given) != 1:
            kinds = [kind for kind, _field in options]
            problems.add(path, f"Give exactly one of {', '.join(kinds[:-1])} or {kinds[-1]}.")
            return None
        kind, field = given[0]
        text = field.parse(source[kind], f"{path}.{kind}", problems)
        return (kind, text) if text is not None else None


class OneOfScheme(PolymorphicProxySerializerExtension):
    """Documented as drf-spectacular documents its own PolymorphicProxySerializer."""

    target_class = OneOf
    match_subclasses = True


def parse_object(
    value: Any, path: str, problems: Problems, *, required: bool = False
) -> dict | None:
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        problems.add(path, "Must be an object.")
        return None
    return value


# --- Scalars ---------------------------------------------------------------------------------


def parse_token(
    value: Any, path: str, problems: Problems, *, max_length: int, numbers: bool = False
) -> str | None:
    """An opaque identifier: a non-blank string of printable characters (or, with `numbers`,
    an integer, since many systems' ids are numeric)."""
    if value is None:
        return None
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        problems.add(path, "Must be a non-blank string of printable characters.")
        return None
    if len(value) > max_length:
        problems.add(path, f"At most {max_length} characters.")
        return None
    return value


class ClientId(OpaqueIdField):
    """A client's own id: printable text, or an integer."""

    def parse(self, value: Any, path: str, problems: Problems) -> str | None:
        return parse_token(value, path, problems, max_length=self.max_length, numbers=True)


class Token(serializers.CharField):
    """An opaque name (an image id, a file part's name, a role): printable text."""

    def parse(self, value: Any, path: str, problems: Problems) -> str | None:
        return parse_token(value, path, problems, max_length=self.max_length)


class TokenUrl(serializers.URLField):
    """A URL read as an opaque token here; it is checked where it is fetched."""

    parse = Token.parse


def storable(text: str) -> bool:
    """Whether the database can hold the text: PostgreSQL text cannot hold NUL, and neither
    database a lone surrogate (which JSON can spell as `"\\ud800"`)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


class Text(serializers.CharField):
    def parse(self, value: Any, path: str, problems: Problems) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not storable(value):
            problems.add(path, "Must be a string without NUL characters or unpaired surrogates.")
            return None
        if len(value) > self.max_length:
            problems.add(path, f"At most {self.max_length} characters.")
            return None
        return value


class Flag(serializers.BooleanField):
    def parse(self, value: Any, path: str, problems: Problems) -> bool:
        if value is None:
            return self.default
        if not isinstance(value, bool):
            problems.add(path, "Must be true or false.")
        return bool(value)


class Choice(serializers.ChoiceField):
    """One of the declared integer choices; absent is the default."""

    def parse(self, value: Any, path: str, problems: Problems) -> int:
        choices = list(self.choices)
        if value is None:
            return self.default
        if isinstance(value, bool) or value not in choices:
            problems.add(path, f"Must be one of {', '.join(map(str, choices))}.")
            return self.default
        return int(value)


class JsonObject(serializers.DictField):
    """The client's own JSON object, kept as is, of at most `max_bytes` bytes of JSON."""

    def __init__(self, *, max_bytes: int, **kwargs: Any) -> None:
        self.max_bytes = max_bytes
        super().__init__(**kwargs)

    def parse(self, value: Any, path: str, problems: Problems) -> dict | None:
        item = parse_object(value, path, problems)
        if item is not None and len(json.dumps(item)) > self.max_bytes:
            problems.add(path, f"At most {self.max_bytes} bytes of JSON.")
            return None
        return item


class ExactlyOne(serializers.ListField):
    """An array that must hold exactly one item (`min_length` = `max_length` = 1)."""

    def __init__(self, *, refusal: str, **kwargs: Any) -> None:
        self.refusal = refusal
        super().__init__(min_length=1, max_length=1, **kwargs)

    def parse(self, value: Any, path: str, problems: Problems) -> Any:
        if not isinstance(value, list):
            problems.add(path, "Must be an array.")
        elif len(value) != 1:
            problems.add(path, self.refusal)
        else:
            return self.child.parse(value[0], f"{path}[0]", problems)
        return None


def url_problem(url: Any) -> str | None:
    """What is wrong with an image URL (as `products.services` checks it), or None."""
    for _index, message in product_images_problems([url]):
        return message
    if not storable(url):
        return "Must not contain NUL or unpaired surrogates."
    return None
