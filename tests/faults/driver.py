"""A steady stream of shoppers (upload → try-on → status) from a few threads, every answer
recorded with its time, for the fault tests to judge what happened around a fault."""

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import requests

from shopify_integration.proxy.signature import sign_proxy_query

PRODUCT = "gid://shopify/Product/1001"
ERROR_KEYS = {"code", "message", "status", "details"}
TIMEOUT = 15  # a request not answered by then is a hang


@dataclass
class Answer:
    at: float  # when the request was sent, time.monotonic()
    took: float
    endpoint: str
    status: int  # 0: no answer (connection error or timeout)
    body: dict

    @property
    def ok(self) -> bool:
        return self.status in (200, 201)

    @property
    def clean_unavailable(self) -> bool:
        """A 503 in our error shape, naming a retryable condition."""
        return (
            self.status == 503
            and set(self.body) >= ERROR_KEYS
            and self.body["code"] == "SERVICE_UNAVAILABLE"
        )


@dataclass
class ShopperStream:
    base_url: str
    shop: str
    secret: str
    photo: bytes
    threads: int = 3
    pause: float = 0.2
    answers: list[Answer] = field(default_factory=list)
    job_ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._workers = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(self.threads)
        ]

    def start(self) -> "ShopperStream":
        for worker in self._workers:
            worker.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=TIMEOUT + 5)

    def _url(self, path: str, **extra: str) -> str:
        pairs = [
            *extra.items(),
            ("shop", self.shop),
            ("logged_in_customer_id", ""),
            ("path_prefix", "/apps/fitting-room"),
            ("timestamp", str(int(time.time()))),
        ]
        query = urlencode(sign_proxy_query(pairs, self.secret))
        return f"{self.base_url}/proxy/public/{path}?{query}"

    def _call(self, endpoint: str, method: str, url: str, **kwargs) -> Answer:
        sent = time.monotonic()
        try:
            response = requests.request(method, url, timeout=TIMEOUT, **kwargs)
            status = response.status_code
            try:
                body = response.json()
            except ValueError:
                body = {"text": response.text[:300]}
        except requests.RequestException as error:
            status, body = 0, {"error": repr(error)}
        answer = Answer(sent, time.monotonic() - sent, endpoint, status, body)
        self.answers.append(answer)
        return answer

    def _run(self, n: int) -> None:
        visit, file_id = 0, None
        while not self._stop.is_set():
            visit += 1
            visitor = f"fault-{n}-{visit:06d}"
            headers = {"X-Forwarded-For": f"198.18.{n}.{visit % 250 + 1}"}
            upload = self._call(
                "upload-image",
                "POST",
                self._url("upload-image"),
                files={"file": ("me.jpg", self.photo, "image/jpeg")},
                data={"visitorId": visitor},
                headers=headers,
            )
            # A shopper whose upload failed tries on with their last photo, so try-ons go on
            # while uploads are refused.
            file_id = upload.body["fileId"] if upload.ok else file_id
            if file_id:
                created = self._call(
                    "fitting-room",
                    "POST",
                    self._url("fitting-room"),
                    json={
                        "userImageId": file_id,
                        "productId": PRODUCT,
                        "visitorId": visitor,
                    },
                    headers=headers,
                )
                if created.ok and created.body.get("jobId"):
                    self.job_ids.append(created.body["jobId"])
                    self._call(
                        "generation",
                        "GET",
                        self._url(f"generation/{created.body['jobId']}", wait="1"),
                        headers=headers,
                    )
            self._stop.wait(self.pause)


def unclean(answers: list[Answer]) -> list[Answer]:
    """Answers that are neither a success nor a clean 503: 500s, hangs, other errors."""
    return [a for a in answers if not a.ok and not a.clean_unavailable]
