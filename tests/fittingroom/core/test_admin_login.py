"""/admin/login/ locks out an address, or a username, after repeated failed logins (counted in
the real cache), and a locked request is refused before its password is checked."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db
URL = "/admin/login/"
PASSWORD = "a long operator password"


@pytest.fixture
def operator(db):
    return get_user_model().objects.create_user(
        "operator", password=PASSWORD, is_staff=True, is_superuser=True
    )


def login(username: str, password: str, *, ip: str = "198.51.100.10"):
    client = Client(REMOTE_ADDR=ip)
    response = client.post(URL, {"username": username, "password": password, "next": "/admin/"})
    return response, client


def test_a_username_is_locked_after_its_failures_whatever_the_address(operator, settings):
    for n in range(settings.ADMIN_LOGIN_MAX_FAILURES):
        response, _ = login("operator", "wrong", ip=f"198.51.100.{n + 1}")
        assert response.status_code == 200  # the form again, with its error

    response, client = login("operator", PASSWORD, ip="203.0.113.50")

    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.ADMIN_LOGIN_LOCKOUT_SECONDS
    assert "_auth_user_id" not in client.session
    other, _ = login("someone-else", "wrong", ip="203.0.113.50")
    assert other.status_code == 200  # only that username is locked


def test_an_address_is_locked_after_its_failures_whatever_the_username(operator, settings):
    settings.ADMIN_LOGIN_MAX_FAILURES_PER_ADDRESS = 6
    for n in range(6):
        login(f"guess-{n}", "wrong", ip="198.51.100.99")

    locked, _ = login("operator", PASSWORD, ip="198.51.100.99")
    elsewhere, client = login("operator", PASSWORD, ip="198.51.100.100")

    assert locked.status_code == 429
    assert elsewhere.status_code == 302
    assert client.session["_auth_user_id"] == str(operator.pk)


def test_a_successful_login_clears_the_usernames_failures(operator, settings):
    for _ in range(settings.ADMIN_LOGIN_MAX_FAILURES - 1):
        login("operator", "wrong")
    assert login("operator", PASSWORD)[0].status_code == 302

    for _ in range(settings.ADMIN_LOGIN_MAX_FAILURES - 1):
        login("operator", "wrong")

    assert login("operator", PASSWORD)[0].status_code == 302


def test_the_login_page_itself_still_shows(client):
    response = client.get(URL)

    assert response.status_code == 200
    assert b'name="username"' in response.content
