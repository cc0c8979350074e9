"""What a tracking batch may hold, checked in plain Python (a busy store sends many), and what
we keep of it: no IP address, no e-mail, URLs without their query string."""

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fittingroom.core.errors import ValidationFailed

MAX_EVENTS = 50
MAX_PROPERTIES_BYTES = 2048
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}:[a-z][a-z0-9_]{0,30}$")
INSERT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
PRODUCT_GID = re.compile(r"^gid://shopify/Product/[0-9]{1,20}$")
VARIANT_GID = re.compile(r"^gid://shopify/ProductVariant/[0-9]{1,20}$")
GENERATION_ID = re.compile(r"^gen_[A-Za-z0-9]{1,40}$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
KNOWN_EVENTS = frozenset(
    {
        "widget:button_click",
        "widget:image_upload",
        "widget:generation_start",
        "widget:result_view",
        "widget:share_clicked",
        "widget:download_clicked",
        "widget:add_to_cart_clicked",
        "widget:add_to_cart_success",
        "widget:email_collected",
        "product_page:page_view",
        "product_page:cart_add",
    }
)
# Context keys we keep (ours `fr_…`, and Genlook's `genlook_…` for widgets built on its kit).
_CONTEXT_KEYS = {
    "$pathname",
    "$host",
    "$referring_domain",
    "$screen_width",
    "$screen_height",
    "$viewport_width",
    "$viewport_height",
    "$browser_language",
    "$timezone",
    "$session_id",
    "$pageview_id",
}
_URL_KEYS = {"$current_url", "$referrer"}
_PREFIXES = ("fr_", "genlook_")
# An event may claim any past moment within this window; outside it, the receipt time counts.
_PAST, _FUTURE = timedelta(days=7), timedelta(minutes=10)


@dataclass(frozen=True)
class EventRow:
    insert_id: str
    name: str
    known: bool
    occurred_at: datetime
    product_id: str
    generation_id: str
    properties: dict


@dataclass(frozen=True)
class Batch:
    events: list[EventRow]
    context: dict
    visitor_id: str
    session_id: str


def batch_parse(body: object, *, now: datetime | None = None) -> Batch:
    """The batch's events and context, cleaned; raises VALIDATION_FAILED with one detail per
    problem (`events[3].event`, …) when anything is malformed."""
    now = now or timezone.now()
    problems: list[dict[str, str]] = []
    if not isinstance(body, dict):
        raise ValidationFailed(details=[{"path": "", "message": "Expected a JSON object."}])
    raw_events, raw_context = body.get("events"), body.get("context", {})
    if not isinstance(raw_events, list) or not 1 <= len(raw_events) <= MAX_EVENTS:
        message = f"A list of 1 to {MAX_EVENTS} events."
        raise ValidationFailed(details=[{"path": "events", "message": message}])
    if not isinstance(raw_context, dict):
        problems.append({"path": "context", "message": "Expected an object."})
        raw_context = {}
    context = _context_clean(raw_context)
    default_product = _first(context, "product_id", PRODUCT_GID)
    events = [
        _event_parse(raw, f"events[{index}]", problems, now=now, default_product=default_product)
        for index, raw in enumerate(raw_events)
    ]
    if problems:
        raise ValidationFailed(details=problems)
    return Batch(
        events=_unique(events),  # type: ignore[arg-type]
        context=context,
        visitor_id=_first(context, "client_id", TOKEN),
        session_id=str(context.get("$session_id", ""))[:64],
    )


def _event_parse(
    raw: object, path: str, problems: list, *, now: datetime, default_product: str
) -> EventRow | None:
    if not isinstance(raw, dict):
        problems.append({"path": path, "message": "Expected an object."})
        return None
    name, insert_id, stamp = raw.get("event"), raw.get("$insert_id"), raw.get("timestamp")
    properties = raw.get("properties") or {}
    before = len(problems)
    if not isinstance(name, str) or not EVENT_NAME.match(name):
        problems.append({"path": f"{path}.event", "message": "A category:action name."})
    if not isinstance(insert_id, str) or not INSERT_ID.match(insert_id):
        problems.append({"path": f"{path}.$insert_id", "message": "1 to 64 of A-Z a-z 0-9 _.:-"})
    occurred = _parse_time(stamp)
    if occurred is None or occurred.tzinfo is None:
        problems.append({"path": f"{path}.timestamp", "message": "An ISO 8601 time with zone."})
    if not isinstance(properties, dict) or _size(properties) > MAX_PROPERTIES_BYTES:
        message = f"An object of at most {MAX_PROPERTIES_BYTES} bytes."
        problems.append({"path": f"{path}.properties", "message": message})
    if len(problems) > before:
        return None
    if not now - _PAST <= occurred <= now + _FUTURE:
        occurred = now
    properties = _scrub(properties)
    product = properties.get("product_id")
    generation = properties.get("job_id") or properties.get("generation_id")
    return EventRow(
        insert_id=insert_id,
        name=name,
        known=name in KNOWN_EVENTS,
        occurred_at=occurred,
        product_id=product if _fits(product, PRODUCT_GID) else default_product,
        generation_id=generation if _fits(generation, GENERATION_ID) else "",
        properties=properties,
    )


def _parse_time(value: object) -> datetime | None:
    try:
        return parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed but not a date (month 13)
        return None


def _unique(events: list[EventRow]) -> list[EventRow]:
    """One event per insert id within the batch (the first)."""
    seen: dict[str, EventRow] = {}
    for event in events:
        seen.setdefault(event.insert_id, event)
    return list(seen.values())


def _context_clean(raw: dict) -> dict:
    kept: dict = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not isinstance(value, str | int | float | bool):
            continue
        if key in _URL_KEYS and isinstance(value, str):
            kept[key] = _url_without_query(value)
        elif key in _CONTEXT_KEYS or key.startswith(_PREFIXES):
            kept[key] = _scrub_value(value)
    return kept


def _first(context: dict, suffix: str, pattern: re.Pattern) -> str:
    for prefix in _PREFIXES:
        value = context.get(prefix + suffix)
        if _fits(value, pattern):
            return value
    return ""


def _scrub(properties: dict) -> dict:
    return {
        key: _scrub_value(value)
        for key, value in properties.items()
        if "email" not in key.lower() and key.lower() not in ("ip", "$ip", "ip_address")
    }


def _scrub_value(value: object) -> object:
    if isinstance(value, str):
        return EMAIL.sub("[redacted]", value[:500])
    if isinstance(value, dict | list):
        return json.loads(EMAIL.sub("[redacted]", json.dumps(value)))
    return value


def _url_without_query(url: str) -> str:
    parts = urlsplit(url[:2000])
    return f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else parts.path


def _size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":")))


def _fits(value: object, pattern: re.Pattern) -> bool:
    return isinstance(value, str) and bool(pattern.match(value))
