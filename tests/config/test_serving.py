"""The web process as the Procfile runs it (config/serving.py): plain requests queue for one of
WEB_THREADS threads, each keeping its database connection; a dropped connection is replaced;
requests that wait hold no thread."""

import socket
import threading
import time

import pytest
import requests
from django.db import connection

from config.serving import waiting
from tests.conftest import make_shop
from tests.e2e.signing import signed_url
from tests.load.stack import running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

APP_NAME = "fittingroom-web-serving-test"  # libpq's PGAPPNAME: tells the web's connections apart


def web_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APP_NAME]
        )
        return cursor.fetchone()[0]


def get_all(urls: list[str]) -> list[int]:
    """GET every URL at once, one thread each; the status codes (0: no answer)."""
    codes = [0] * len(urls)

    def get(i: int) -> None:
        try:
            codes[i] = requests.get(urls[i], timeout=60).status_code
        except requests.RequestException:
            codes[i] = 0

    threads = [threading.Thread(target=get, args=(i,)) for i in range(len(urls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL); CI sets it")


def serving(settings, tmp_path, threads: int):
    return running_stack(
        settings,
        tmp_path,
        WEB_THREADS=str(threads),
        WEB_CONCURRENCY="1",
        PGAPPNAME=APP_NAME,
    )


def test_a_burst_queues_for_the_pool_and_never_opens_more_connections(settings, tmp_path, postgres):
    shop = make_shop("burst.myshopify.com")
    with serving(settings, tmp_path, threads=2) as stack:
        stack.start_web()
        url = stack.base_url + signed_url(shop.domain, "check-credits")
        peak, done = [0], threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], web_connections())
                time.sleep(0.01)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            codes = get_all([url] * 80)
        finally:
            done.set()
            sampler.join()

        assert codes == [200] * 80
        assert 1 <= peak[0] <= 2


def test_a_dropped_connection_is_replaced(settings, tmp_path, postgres):
    shop = make_shop("dropped.myshopify.com")
    with serving(settings, tmp_path, threads=2) as stack:
        stack.start_web()
        url = stack.base_url + signed_url(shop.domain, "check-credits")
        assert get_all([url] * 10) == [200] * 10
        assert web_connections() >= 1  # kept between requests
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = %s",
                [APP_NAME],
            )
            assert cursor.fetchone()[0] >= 1

        assert get_all([url] * 10) == [200] * 10
        assert 1 <= web_connections() <= 2


def pending_job(base: str, shop_domain: str, person_jpeg: bytes) -> str:
    """A try-on through the live server; no worker runs, so it stays PENDING."""
    upload = requests.post(
        base + signed_url(shop_domain, "upload-image"),
        files={"file": ("me.jpg", person_jpeg, "image/jpeg")},
        data={"visitorId": "visitor-serving"},
        timeout=30,
    )
    assert upload.status_code == 201, upload.text
    created = requests.post(
        base + signed_url(shop_domain, "fitting-room"),
        json={
            "userImageId": upload.json()["fileId"],
            "productId": "gid://shopify/Product/1001",
            "visitorId": "visitor-serving",
        },
        timeout=30,
    )
    return created.json()["jobId"]


def test_waiting_requests_hold_no_thread(settings, tmp_path, postgres, person_jpeg):
    shop = make_shop("waiting-serving.myshopify.com")
    with serving(settings, tmp_path, threads=1) as stack:
        stack.start_web()
        base = stack.base_url
        job_id = pending_job(base, shop.domain, person_jpeg)
        waits: list[tuple[int, float]] = []

        def wait() -> None:
            started = time.monotonic()
            response = requests.get(
                base + signed_url(shop.domain, f"generation/{job_id}", wait="3"), timeout=30
            )
            waits.append((response.status_code, time.monotonic() - started))

        waiters = [threading.Thread(target=wait) for _ in range(5)]
        for waiter in waiters:
            waiter.start()
        time.sleep(1)  # all five are waiting now, on a server with one thread
        started = time.monotonic()
        plain = requests.get(base + signed_url(shop.domain, "check-credits"), timeout=30)
        plain_seconds = time.monotonic() - started
        for waiter in waiters:
            waiter.join()

        assert plain.status_code == 200
        assert plain_seconds < 1.5
        assert [code for code, _ in waits] == [200] * 5
        assert all(2.5 < seconds < 10 for _, seconds in waits)


def test_a_connection_dropped_while_a_request_waits_is_replaced(
    settings, tmp_path, postgres, person_jpeg
):
    shop = make_shop("dropped-waiting.myshopify.com")
    with serving(settings, tmp_path, threads=1) as stack:
        stack.start_web()
        job_id = pending_job(stack.base_url, shop.domain, person_jpeg)
        answer = []
        waiter = threading.Thread(
            target=lambda: answer.append(
                requests.get(
                    stack.base_url + signed_url(shop.domain, f"generation/{job_id}", wait="3"),
                    timeout=30,
                )
            )
        )
        waiter.start()
        time.sleep(1)  # it has read the status once and waits now
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = %s",
                [APP_NAME],
            )
            assert cursor.fetchone()[0] == 1  # the one thread's kept connection
        waiter.join()

        assert answer[0].status_code == 200, answer[0].text
        assert answer[0].json()["status"] == "PENDING"


def test_the_requests_that_wait_go_to_the_asgi_handler_and_the_rest_to_the_pool():
    def scope(path: str, query: bytes = b"") -> dict:
        return {"type": "http", "path": path, "query_string": query}

    assert waiting(scope("/proxy/public/generation/gen_1", b"wait=20"))
    assert not waiting(scope("/proxy/public/generation/gen_1", b"wait=0"))
    assert not waiting(scope("/proxy/public/generation/gen_1"))
    assert waiting(scope("/v1/try-on/sync"))  # held up to 90 s: never on a pool thread
    assert not waiting(scope("/v1/try-on"))
    assert not waiting({"type": "lifespan"})


def listening_sockets(port: int) -> int:
    """Sockets listening on `port` (/proc/net/tcp: state 0A), however many processes hold each."""
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return sum(1 for row in rows if row[1].endswith(f":{port:04X}") and row[3] == "0A")


def test_each_web_process_accepts_on_a_socket_of_its_own(settings, tmp_path, postgres):
    """`--reuse-port`: the kernel spreads new connections over the processes. On one shared
    socket a process's event loop accepted every connection that was waiting, and a burst of
    keep-alive connections (a proxy's, the bench's 16) often all landed on one process, which
    then served alone on one core (bench/RESULTS.md)."""
    with running_stack(settings, tmp_path, WEB_CONCURRENCY="2", WEB_THREADS="2") as stack:
        web = stack.start_web()
        deadline = time.monotonic() + 30
        while listening_sockets(stack.port) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # the second process may still be starting
        assert listening_sockets(stack.port) == 2

        clients = [socket.create_connection(("127.0.0.1", stack.port)) for _ in range(16)]
        try:
            for client in clients:
                client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert client.recv(4096).startswith(b"HTTP/1.1 200")
            served = [
                sum(
                    1
                    for held in process.net_connections(kind="tcp")
                    if held.status == "ESTABLISHED" and held.laddr.port == stack.port
                )
                for process in web.processes()[1:]  # the workers, not the arbiter
            ]
        finally:
            for client in clients:
                client.close()
        assert sum(served) == 16
        assert min(served) >= 1, served
