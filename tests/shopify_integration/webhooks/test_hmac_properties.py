"""Properties of the webhook signature check, over generated bodies and headers: Shopify's
base64 HMAC-SHA256 of the raw body verifies, any change to the body or the header is refused,
and no header makes the check raise. The OAuth callback's `hmac` gets the same treatment."""

import ast
import base64
import hashlib
import hmac
import inspect
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from shopify_integration.install import oauth
from shopify_integration.install.oauth import InvalidOAuthRequest, oauth_callback_verify
from shopify_integration.webhooks import verification
from shopify_integration.webhooks.verification import webhook_signature_valid

SECRET, PREVIOUS = "current-secret", "previous-secret"
BOUNDED = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def shopify_header(body: bytes, secret: str = SECRET) -> str:
    """Written from Shopify's documentation, independently of the code under test."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def valid(body: bytes, header: str | None) -> bool:
    return webhook_signature_valid(body=body, header=header, secrets=[SECRET, "", PREVIOUS])


bodies = st.binary(max_size=2048)


@BOUNDED
@given(body=bodies)
@example(body=b"")
@example(body=b"\x00" * 100_000)
def test_the_signature_of_any_body_verifies_with_either_secret(body):
    assert valid(body, shopify_header(body))
    assert valid(body, shopify_header(body, PREVIOUS))
    assert not valid(body, shopify_header(body, "another-secret"))


@BOUNDED
@given(body=bodies.filter(bool), data=st.data())
def test_flipping_any_bit_of_the_body_is_refused(body, data):
    header = shopify_header(body)
    bit = data.draw(st.integers(0, len(body) * 8 - 1))
    flipped = bytearray(body)
    flipped[bit // 8] ^= 1 << (bit % 8)

    assert not valid(bytes(flipped), header)


@BOUNDED
@given(body=bodies, extra=st.binary(min_size=1, max_size=16))
def test_appending_or_cutting_bytes_is_refused(body, extra):
    header = shopify_header(body)

    assert not valid(body + extra, header)
    assume(body)
    assert not valid(body[:-1], header)


BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@BOUNDED
@given(body=bodies, data=st.data())
@example(body=b"{}", data=None)  # the last character: it carries 2 unused bits
def test_changing_any_character_of_the_header_is_refused(body, data):
    header = shopify_header(body)
    if data is None:
        index = 42
        new = BASE64[(BASE64.index(header[index]) ^ 1)]
    else:
        index = data.draw(st.integers(0, len(header) - 1))
        new = data.draw(st.sampled_from(BASE64 + "=").filter(lambda c: c != header[index]))
    changed = header[:index] + new + header[index + 1 :]

    assert not valid(body, changed)


hostile_headers = st.one_of(
    st.none(),
    st.text(st.characters(), max_size=100),  # unicode, surrogates, whitespace, controls
    st.text(BASE64 + "=", max_size=100),  # base64-looking, of any length
    st.sampled_from(["", " ", "\t\n", "====", "A", "AA==", "%2B", "sha256=00"]),
)


@BOUNDED
@given(body=bodies, header=hostile_headers)
@example(body=b"{}", header="A" * 1_000_000)
@example(body=b"{}", header=" " * 100_000)
@example(body=b"{}", header="\ud800")
def test_a_malformed_header_is_refused_without_raising(body, header):
    assume(header != shopify_header(body))

    assert valid(body, header) is False


def test_the_digests_are_compared_in_constant_time():
    """Read, not timed: the comparison goes through hmac.compare_digest and nothing else (no
    `==` between digests, no early return on a difference)."""
    tree = ast.parse(inspect.getsource(verification.webhook_signature_valid))
    calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    compares = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Compare)]

    assert "hmac.compare_digest" in calls
    assert all("expected" not in text and "received" not in text for text in compares)
    oauth_source = inspect.getsource(oauth.oauth_query_verify)
    assert "hmac.compare_digest" in oauth_source


# --- OAuth callback: the `hmac` query parameter ------------------------------------------------

NOW = 1_700_000_000


def oauth_query(params: dict[str, str], secret: str = SECRET) -> str:
    """Shopify's OAuth message, from its documentation: `key=value` sorted, joined with "&",
    with "%" and "&" escaped in both and "=" in keys."""

    def escape(text: str, key: bool = False) -> str:
        text = text.replace("%", "%25").replace("&", "%26")
        return text.replace("=", "%3D") if key else text

    message = "&".join(sorted(f"{escape(k, True)}={escape(v)}" for k, v in params.items()))
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return urlencode({**params, "hmac": digest})


callbacks = st.fixed_dictionaries(
    {
        "shop": st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}\.myshopify\.com", fullmatch=True),
        "code": st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40),
        "state": st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40),
        "timestamp": st.integers(NOW - 60, NOW + 60).map(str),
        "host": st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    }
)


def callback(query: str, *, now: float = NOW + 0.25):
    return oauth_callback_verify(query, secrets=[SECRET, PREVIOUS], now=now, max_age=300)


@BOUNDED
@given(params=callbacks)
def test_any_callback_signed_with_the_secret_verifies(params):
    assert callback(oauth_query(params)).code == params["code"]
    assert callback(oauth_query(params, PREVIOUS)).state == params["state"]
    with pytest.raises(InvalidOAuthRequest):
        callback(oauth_query(params, "another-secret"))


@BOUNDED
@given(params=callbacks, data=st.data())
def test_changing_any_callback_value_is_refused(params, data):
    key = data.draw(st.sampled_from(sorted(params)))
    signed = dict(oauth.parse_qsl(oauth_query(params), keep_blank_values=True))
    signed[key] = data.draw(st.text(max_size=40).filter(lambda new: new != params[key]))

    with pytest.raises(InvalidOAuthRequest):
        callback(urlencode(signed))


@BOUNDED
@given(query=st.text(st.characters(), max_size=300))
@example(query="shop=a.myshopify.com&timestamp=" + "9" * 400)
@example(query="a=1&" * 5000)
@example(query="shop=\ud800&hmac=\udcff")  # lone surrogates
def test_any_callback_query_is_refused_with_our_error_and_nothing_else(query):
    with pytest.raises(InvalidOAuthRequest):
        callback(query)


@BOUNDED
@given(timestamp=st.sampled_from(["9" * 400, "1e9", " 1700000000", "\u0661\u0667" + "0" * 8]))
def test_a_signed_callback_with_an_absurd_timestamp_is_refused_cleanly(timestamp):
    params = {"shop": "a.myshopify.com", "code": "c", "state": "s", "timestamp": timestamp}

    with pytest.raises(InvalidOAuthRequest):
        callback(oauth_query(params))
