from urllib.parse import parse_qsl

import pytest

from shopify_integration.proxy.signature import (
    InvalidProxySignature,
    proxy_signature,
    verify_proxy_query,
)

HUSH_QUERY = (
    "extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=1"
    "&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555"
)
SECRET_QUERY = (
    "shop=some-random-store.myshopify.com&path_prefix=%2Fapps%2Fmy-app&timestamp=1466106083"
)
VECTORS = [
    ("hush", HUSH_QUERY, "4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"),
    (
        "hush",
        HUSH_QUERY.replace("logged_in_customer_id=1", "logged_in_customer_id="),
        "e072b6d7e6622d85912a5214b860d3100dc1e73d9bc29f43796ac8c9ff8093cb",
    ),
    ("secret", SECRET_QUERY, "f5cd7233558b1c50102a6f33c0b63ad1e1072a2fc126cb58d4500f75223cefcd"),
    (
        "secret",
        SECRET_QUERY + "&foo=bar&baz[1]&baz[2]=b&baz[c[0]]=whatup&baz[c[1]]=notmuch",
        "bbf3aa60e098f08919a2ea4c64a388414f164e6a117a63b03479ac7aa9464b4f",
    ),
]


def verify(query: str, *, secrets: list[str], now: float) -> object:
    return verify_proxy_query(query, secrets=secrets, now=now, max_skew=90)


def timestamp_of(query: str) -> int:
    return int(dict(parse_qsl(query))["timestamp"])


@pytest.mark.parametrize(("secret", "query", "expected"), VECTORS)
def test_it_computes_shopifys_signature_for_the_documented_vectors(secret, query, expected):
    assert proxy_signature(parse_qsl(query, keep_blank_values=True), secret) == expected


@pytest.mark.parametrize(("secret", "query", "expected"), VECTORS)
def test_it_accepts_each_vector_with_the_clock_frozen_at_its_timestamp(secret, query, expected):
    params = verify(f"{query}&signature={expected}", secrets=[secret], now=timestamp_of(query))
    assert params.shop.endswith(".myshopify.com")


def test_it_reads_the_blank_customer_id_as_nobody_logged_in():
    secret, query, signature = VECTORS[1]
    params = verify(f"{query}&signature={signature}", secrets=[secret], now=1317327555)
    assert params.logged_in_customer_id == ""
    assert params.path_prefix == "/apps/awesome_reviews"


def test_it_rejects_an_added_parameter():
    secret, query, signature = VECTORS[2]
    with pytest.raises(InvalidProxySignature):
        verify(f"{query}&signature={signature}&evil=1", secrets=[secret], now=1466106083)


def test_it_rejects_a_signature_made_with_another_secret():
    _, query, signature = VECTORS[2]
    with pytest.raises(InvalidProxySignature):
        verify(f"{query}&signature={signature}", secrets=["not-the-secret"], now=1466106083)


@pytest.mark.parametrize("skew", [-91, 91, 3600])
def test_it_rejects_a_stale_or_future_timestamp(skew):
    secret, query, signature = VECTORS[2]
    with pytest.raises(InvalidProxySignature, match="stale"):
        verify(f"{query}&signature={signature}", secrets=[secret], now=1466106083 + skew)


@pytest.mark.parametrize("skew", [-90, 0, 90])
def test_it_accepts_a_timestamp_within_ninety_seconds(skew):
    secret, query, signature = VECTORS[2]
    verify(f"{query}&signature={signature}", secrets=[secret], now=1466106083 + skew)


@pytest.mark.parametrize(
    "name", ["shop", "timestamp", "signature", "logged_in_customer_id", "path_prefix"]
)
def test_it_rejects_a_repeated_single_valued_parameter_even_when_signed(name):
    pairs = [
        ("shop", "a.myshopify.com"),
        ("logged_in_customer_id", "1"),
        ("path_prefix", "/apps/x"),
        ("timestamp", "1000"),
        (name, "other.myshopify.com"),
    ]
    signature = proxy_signature(pairs, "s")
    query = "&".join(f"{k}={v}" for k, v in pairs) + f"&signature={signature}"
    if name == "signature":
        query += f"&signature={signature}"
    with pytest.raises(InvalidProxySignature, match="repeated"):
        verify(query, secrets=["s"], now=1000)


def test_it_accepts_the_previous_secret_during_rotation():
    secret, query, signature = VECTORS[2]
    verify(f"{query}&signature={signature}", secrets=["new-secret", secret], now=1466106083)


def test_it_rejects_a_missing_signature_and_a_lookalike_shop_domain():
    with pytest.raises(InvalidProxySignature):
        verify(SECRET_QUERY, secrets=["secret"], now=1466106083)
    pairs = [("shop", "store.myshopify.com.evil.com"), ("timestamp", "1000")]
    query = "shop=store.myshopify.com.evil.com&timestamp=1000&signature=" + proxy_signature(
        pairs, "s"
    )
    with pytest.raises(InvalidProxySignature, match="shop"):
        verify(query, secrets=["s"], now=1000)
