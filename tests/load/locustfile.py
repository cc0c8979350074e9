"""Shoppers for Locust: upload a photo, ask for a try-on, wait for it (`?wait=`), think, again.

Run by tests/load/test_locust.py against gunicorn on loopback. Configured by the environment:
LOAD_SHOP (shop domain), LOAD_SECRET (the app proxy secret), LOAD_PHOTO (a JPEG path) and
LOAD_SHOPPER_LIMIT (the shop's weekly limit per shopper).

Most shoppers stay under their weekly limit (they rotate to a fresh visitor id and address
before it). A few are greedy: they keep trying past the limit, and the 429 RATE_LIMIT_EXCEEDED
they then get is the intended answer, counted as a success; a 429 before the limit, or a try-on
accepted past it, is a failure.
"""

import itertools
import os
import random
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

from locust import HttpUser, between, task

from shopify_integration.proxy.signature import sign_proxy_query

SHOP = os.environ["LOAD_SHOP"]
SECRET = os.environ["LOAD_SECRET"]
PHOTO = Path(os.environ["LOAD_PHOTO"]).read_bytes()
SHOPPER_LIMIT = int(os.environ.get("LOAD_SHOPPER_LIMIT", "10"))
POLL_GIVE_UP_SECONDS = 90
PRODUCTS = [
    ("gid://shopify/Product/1001", "gid://shopify/ProductVariant/11001"),
    ("gid://shopify/Product/1001", "gid://shopify/ProductVariant/11003"),
    ("gid://shopify/Product/1002", "gid://shopify/ProductVariant/12002"),
    ("gid://shopify/Product/1003", None),
]
_addresses = itertools.count(1)


def signed(path: str, **extra: str) -> str:
    pairs = [
        *extra.items(),
        ("shop", SHOP),
        ("logged_in_customer_id", ""),
        ("path_prefix", "/apps/fitting-room"),
        ("timestamp", str(int(time.time()))),
    ]
    return f"/proxy/public/{path}?{urlencode(sign_proxy_query(pairs, SECRET))}"


class Shopper(HttpUser):
    weight = 9
    wait_time = between(1, 3)  # looking at the result, choosing the next product
    greedy = False

    def on_start(self) -> None:
        self.new_identity()

    def new_identity(self) -> None:
        # A distinct visitor behind a distinct address (TEST-NET-style 198.18.0.0/15), so the
        # per-address cap is not what stops anyone.
        n = next(_addresses) + 1000 * random.randrange(1000)  # unique across users
        self.visitor = f"load-{secrets.token_hex(8)}"
        self.ip = f"198.{18 + (n >> 16) % 2}.{(n >> 8) % 256}.{n % 256}"
        self.accepted = 0
        self.refused = 0

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Forwarded-For": self.ip}

    @task
    def try_on(self) -> None:
        if not self.greedy and self.accepted >= SHOPPER_LIMIT - 1:
            self.new_identity()
        file_id = self.upload()
        if file_id is None:
            return
        job_id = self.create(file_id)
        if job_id is not None:
            self.wait_for(job_id)

    def upload(self) -> str | None:
        with self.client.post(
            signed("upload-image"),
            files={"file": ("me.jpg", PHOTO, "image/jpeg")},
            data={"visitorId": self.visitor},
            headers=self.headers,
            name="upload-image",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code} {response.text[:200]}")
                return None
            return response.json()["fileId"]

    def create(self, file_id: str) -> str | None:
        product, variant = random.choice(PRODUCTS)
        body = {"userImageId": file_id, "productId": product, "visitorId": self.visitor}
        if variant:
            body["variantId"] = variant
        past_limit = self.accepted >= SHOPPER_LIMIT
        with self.client.post(
            signed("fitting-room"),
            json=body,
            headers=self.headers,
            name="fitting-room (past the limit)" if past_limit else "fitting-room",
            catch_response=True,
        ) as response:
            code = _code(response)
            if past_limit and response.status_code == 429 and code == "RATE_LIMIT_EXCEEDED":
                response.success()  # the intended answer
                self.refused += 1
                if self.refused >= 2:
                    self.new_identity()
                return None
            if response.status_code != 200 or not response.json().get("jobId"):
                response.failure(f"{response.status_code} {response.text[:200]}")
                return None
            if past_limit:
                response.failure("accepted past the weekly limit")
            self.accepted += 1
            return response.json()["jobId"]

    def wait_for(self, job_id: str) -> None:
        give_up = time.monotonic() + POLL_GIVE_UP_SECONDS
        while time.monotonic() < give_up:
            with self.client.get(
                signed(f"generation/{job_id}", wait="10"),
                headers=self.headers,
                name="generation?wait=10",
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(f"{response.status_code} {response.text[:200]}")
                    return
                status = response.json()["status"]
                if status == "COMPLETED":
                    return
                if status == "FAILED":
                    response.failure(f"generation FAILED: {response.text[:200]}")
                    return
        self.environment.events.request.fire(
            request_type="JOB",
            name="generation stuck",
            response_time=POLL_GIVE_UP_SECONDS * 1000,
            response_length=0,
            exception=RuntimeError(f"{job_id} not finished after {POLL_GIVE_UP_SECONDS} s"),
            context={},
        )


class GreedyShopper(Shopper):
    """Tries on past the weekly limit on purpose."""

    weight = 1
    wait_time = between(0.5, 1.5)
    greedy = True


def _code(response) -> str:
    try:
        return response.json().get("code", "")
    except ValueError:
        return ""
