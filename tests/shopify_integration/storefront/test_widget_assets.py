"""The widget's script: small, and answering every error code in plain words."""

import gzip
import re

from tests.conftest import ROOT

ASSETS = ROOT / "extensions" / "fitting-room" / "assets"
WIDGET_JS = ASSETS / "fitting-room.js"
MAX_GZIPPED_BYTES = 20 * 1024

# Every code the proxy API answers (README's error table, the services' extras) and every
# errorCode a FAILED try-on carries.
CODES = {
    "UNAUTHORIZED", "SHOP_NOT_FOUND", "SHOP_NOT_INSTALLED", "VALIDATION_FAILED", "FILE_REQUIRED",
    "FILE_TOO_LARGE", "INVALID_IMAGE", "USER_IMAGE_NOT_FOUND", "PRODUCT_NOT_FOUND",
    "RATE_LIMIT_EXCEEDED", "QUOTA_EXCEEDED", "BILLING_NOT_ALLOWED", "RATE_LIMITED",
    "GENERATION_NOT_FOUND", "SHOP_REAUTH_REQUIRED", "SHOPIFY_UNAVAILABLE",
    "UNSUPPORTED_MEDIA_TYPE", "NO_PERSON_DETECTED", "PRODUCT_IMAGE_INVALID",
    "PRODUCT_IMAGE_FETCH_FAILED", "ENGINE_TIMEOUT", "ENGINE_ERROR", "ENGINE_UNAVAILABLE",
    "CONTENT_REJECTED", "PERSON_IMAGE_INVALID", "SERVICE_UNAVAILABLE",
    # The photo check (issue 16): its issues, the refusal, direct uploads, a failed creation.
    "PHOTO_REJECTED", "PHOTO_NO_PERSON", "PHOTO_MULTIPLE_PEOPLE", "PHOTO_PERSON_TOO_SMALL",
    "PHOTO_TOO_DARK", "PHOTO_TOO_BRIGHT", "PHOTO_TOO_BLURRY", "PHOTO_TOO_SMALL",
    "UPLOAD_NOT_FOUND", "UPLOAD_FILE_MISSING", "CREATION_FAILED",
    "GENERATION_NOT_COMPLETED", "SHARE_LINK_NOT_FOUND", "EMAIL_CAPTURE_DISABLED",
}  # fmt: skip


def test_the_widget_script_is_under_20_kb_gzipped():
    size = len(gzip.compress(WIDGET_JS.read_bytes(), compresslevel=9))

    assert size < MAX_GZIPPED_BYTES, f"{size} bytes gzipped"


def test_every_error_code_has_words_in_every_language():
    source = WIDGET_JS.read_text()
    table = re.search(r"var ERRORS = \{(.*?)\};", source, re.S).group(1)
    mapped = dict(re.findall(r"([A-Z_]+): \"(e_\w+)\"", table))
    languages = {
        lang: set(re.findall(r"^\s+(\w+):", body, re.M))
        for lang, body in re.findall(r"^    (\w\w): \{(.*?)^    \}", source, re.S | re.M)
    }

    assert set(mapped) >= CODES, CODES - set(mapped)
    assert set(languages) == {"en", "fr", "es", "de"}
    for lang, keys in languages.items():
        assert set(mapped.values()) | {"e_limitLater", "e_generic"} <= keys, lang
        assert keys == languages["en"], (lang, keys ^ languages["en"])


def test_the_readme_error_table_is_covered():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("### Error codes", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", table, re.M))

    assert documented, "the README's error table moved"
    assert documented <= CODES
