"""Properties of the app proxy signature check, over generated queries: what Shopify signs
verifies, any change to what it signed is refused, and no input makes the check raise anything
but InvalidProxySignature.

Shopify's message (../shared/docs/shopify.md) is written again here, from the documentation,
so that the properties do not lean on the code under test."""

import hashlib
import hmac
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from shopify_integration.proxy.signature import (
    SINGLE_VALUED,
    InvalidProxySignature,
    ProxyParams,
    verify_proxy_query,
)

SECRET, PREVIOUS, NOW, SKEW = "current-secret", "previous-secret", 1_700_000_000, 90
CLOCK = NOW + 0.25  # what time.time() gives: a float
# Bounded for CI: about 3 s for the whole module on one core.
BOUNDED = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

Pairs = list[tuple[str, str]]


def shopify_message(pairs: Pairs) -> str:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        if key != "signature":
            grouped.setdefault(key, []).append(value)
    return "".join(sorted(f"{key}={','.join(values)}" for key, values in grouped.items()))


def shopify_sign(pairs: Pairs, secret: str = SECRET) -> Pairs:
    message = shopify_message(pairs).encode(errors="surrogatepass")
    return [*pairs, ("signature", hmac.new(secret.encode(), message, hashlib.sha256).hexdigest())]


def verify(pairs: Pairs, *, now: float = CLOCK) -> ProxyParams:
    return verify_proxy_query(urlencode(pairs), secrets=[SECRET, PREVIOUS], now=now, max_skew=SKEW)


def refused(pairs: Pairs, **kwargs) -> bool:
    try:
        verify(pairs, **kwargs)
    except InvalidProxySignature:
        return True
    return False


# Any text that survives a round trip through a URL: every code point but the surrogates.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
# Keys and values without "=" and ",": in Shopify's message those join parameters without a
# separator, so only there is every single change bound to change the message (see below).
plain_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="=,"), max_size=12)
plain_key = plain_text.filter(lambda key: key and key not in SINGLE_VALUED)


@st.composite
def forwarded(draw, key=plain_key, value=plain_text) -> Pairs:
    """A query as Shopify's proxy forwards it, unsigned: the widget's own parameters (a key may
    repeat), then Shopify's, in any order."""
    own = draw(st.lists(st.tuples(key, value), max_size=6))
    shopify = [
        ("shop", draw(st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}\.myshopify\.com", fullmatch=True))),
        ("logged_in_customer_id", draw(st.sampled_from(["", "1", "6815442813"]))),
        ("path_prefix", draw(st.sampled_from(["/apps/fitting-room", "/a/try", "/tools/x"]))),
        ("timestamp", str(NOW + draw(st.integers(-SKEW + 1, SKEW - 1)))),
    ]
    return draw(st.permutations(own + shopify))


@BOUNDED
@given(query=forwarded(key=any_text.filter(lambda k: k not in SINGLE_VALUED), value=any_text))
def test_any_query_signed_with_the_secret_verifies_in_any_order(query):
    signed = shopify_sign(query)

    params = verify(signed)

    assert params.shop == dict(query)["shop"]
    assert params.logged_in_customer_id == dict(query)["logged_in_customer_id"]
    # Shopify's message sorts the parameters: their order on the wire does not matter (the
    # values of a repeated key are joined in order, so those keep theirs: the sort is stable).
    assert verify(sorted(signed, key=lambda pair: pair[0], reverse=True)) == params


@BOUNDED
@given(query=forwarded(), data=st.data())
def test_changing_any_one_value_is_refused(query, data):
    signed = shopify_sign(query)
    index = data.draw(st.integers(0, len(query) - 1))
    key, value = query[index]
    new_value = data.draw(plain_text.filter(lambda new: new != value))
    signed[index] = (key, new_value)

    assert refused(signed)


@BOUNDED
@given(query=forwarded(), data=st.data())
def test_changing_any_one_key_is_refused(query, data):
    signed = shopify_sign(query)
    index = data.draw(st.integers(0, len(query) - 1))
    key, value = query[index]
    signed[index] = (data.draw(plain_key.filter(lambda new: new != key)), value)

    assert refused(signed)


@BOUNDED
@given(query=forwarded(), extra=st.tuples(plain_key, plain_text), data=st.data())
def test_adding_or_removing_a_parameter_is_refused(query, extra, data):
    signed = shopify_sign(query)
    at = data.draw(st.integers(0, len(signed)))
    assert refused([*signed[:at], extra, *signed[at:]])

    index = data.draw(st.integers(0, len(query) - 1))
    assert refused(signed[:index] + signed[index + 1 :])


@BOUNDED
@given(query=forwarded(), name=st.sampled_from(SINGLE_VALUED), value=plain_text)
def test_a_repeated_shopify_parameter_is_refused_even_with_a_valid_signature(query, name, value):
    polluted = shopify_sign([*query, (name, value)])
    if name == "signature":
        polluted.append(polluted[-1])

    with pytest.raises(InvalidProxySignature, match="repeated"):
        verify(polluted)


@BOUNDED
@given(query=forwarded(), drift=st.integers(SKEW + 1, 10**12), sign=st.sampled_from([-1, 1]))
def test_a_timestamp_more_than_ninety_seconds_away_is_refused(query, drift, sign):
    signed = shopify_sign(query)
    timestamp = int(dict(query)["timestamp"])

    with pytest.raises(InvalidProxySignature, match="stale"):
        verify(signed, now=timestamp + sign * drift + 0.0)
    verify(signed, now=timestamp + sign * SKEW + 0.0)


@BOUNDED
@given(query=forwarded(), secret=st.text(min_size=1, max_size=40))
def test_only_the_current_and_the_previous_secret_are_accepted(query, secret):
    assert not refused(shopify_sign(query, PREVIOUS))
    assume(secret not in (SECRET, PREVIOUS))

    assert refused(shopify_sign(query, secret))


def test_parameters_are_not_separated_in_shopifys_message():
    """Why the properties above keep "=" and "," out of keys and values: Shopify's message
    concatenates `key=value` strings, so a value holding "=" can stand for two parameters and a
    repeated key for a value holding ",". We must sign exactly as Shopify does; such a pair of
    queries carries the same signature. The parameters we read are single-valued and come from
    Shopify, and the forged spelling changes a widget parameter only."""
    shopify = [("shop", "a.myshopify.com"), ("timestamp", str(NOW))]
    split = shopify_sign([*shopify, ("a", "1"), ("b", "2"), ("c", "x"), ("c", "y")])
    joined = [*shopify, ("a", "1b=2"), ("c", "x,y"), split[-1]]

    assert verify(joined) == verify(split)


# --- Nothing raises but our domain error -------------------------------------------------------

PIECES = ["%", "%2", "%ZZ", "%FF", "%C3%28", "%00", "%25", "=", "&", "&&", "+", ";", "#", "?"]
OWN_NAMES = [*SINGLE_VALUED, "shop=a.myshopify.com", "timestamp=1", "signature=00"]
hostile_text = st.one_of(
    st.text(st.characters(), max_size=300),  # surrogates included
    st.lists(st.sampled_from(PIECES + OWN_NAMES) | st.text(max_size=5), max_size=60).map("".join),
)


@BOUNDED
@given(query=hostile_text)
@example(query="")
@example(query="shop=\ud800&signature=\udcff")  # lone surrogates
@example(query="a=1&" * 5000)  # more fields than we parse
@example(query="signature=" + "f" * 1_000_000)
@example(query="shop=a.myshopify.com&timestamp=1&signature=%FF%FE")
def test_any_text_is_refused_with_our_error_and_nothing_else(query):
    with pytest.raises(InvalidProxySignature):
        verify_proxy_query(query, secrets=[SECRET], now=CLOCK, max_skew=SKEW)


hostile_value = st.one_of(
    st.text(st.characters(), max_size=30),
    st.integers().map(str),
    st.sampled_from(["9" * 400, "1e9", " 1700000000 ", "+1700000000", "1_700_000_000", "\u0661"]),
)


@BOUNDED
@given(
    pairs=st.lists(
        st.tuples(st.sampled_from([*SINGLE_VALUED, "x"]) | st.text(max_size=5), hostile_value),
        max_size=8,
    )
)
@example(pairs=[("shop", "a.myshopify.com"), ("timestamp", "9" * 400)])
@example(pairs=[("shop", "a.myshopify.com\n"), ("timestamp", str(NOW))])
@example(pairs=[("shop", "a.myshopify.com"), ("timestamp", "\ud800")])
@example(pairs=[("shop", "a.myshopify.com"), ("timestamp", "\u0661\u0667" + "0" * 8)])
def test_a_correctly_signed_query_of_any_content_verifies_or_is_refused_cleanly(pairs):
    """Even what only the holder of the secret could send (a signed absurd timestamp, say) never
    makes the check raise something else."""
    query = urlencode(shopify_sign(pairs), errors="surrogatepass")
    try:
        params = verify_proxy_query(query, secrets=[SECRET], now=CLOCK, max_skew=SKEW)
    except InvalidProxySignature:
        return
    assert abs(params.timestamp - NOW) <= SKEW
    assert params.shop.endswith(".myshopify.com")
