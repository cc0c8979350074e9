"""A newcomer's first hour, followed from the README on a fresh copy of the repository: `make run`,
its start banner and every link in it, each surface in Chromium, the README's management commands
exactly as printed, and the README's /v1 session to COMPLETED with a key from its command.

The copy holds the tracked files, as a clone does (no var/); the .venv of `make test` is linked
in, so nothing is installed twice. The server runs on the embedded default, as the README's first
`make run` does, on a port of its own (the README's 8000 becomes that port).
"""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import artifacts_dir
from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

README = (ROOT / "README.md").read_text()
BANNER = "fittingroom is running"
START_TIMEOUT = 240
# Whatever the test run itself exported must not decide the newcomer's mode or data.
NOT_INHERITED = (
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "VAR_DIR",
    "MEDIA_ROOT",
    "PORT",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fresh_copy(target: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file() and not name.startswith(".venv/"):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)  # mtimes kept: make sees .venv up to date
    (target / ".venv").symlink_to(ROOT / ".venv")
    return target


def newcomer_env(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    return env | {"PORT": str(port)}


def readme_block(after: str) -> list[str]:
    """The commands of the first ```sh block that follows `after` in the README: a command goes
    on past a line ending in a backslash or inside an open single quote; `# …` lines (the
    README's sample answers) are left out."""
    tail = README[README.index(after) :]
    block = re.search(r"```sh\n(.*?)```", tail, re.S).group(1)
    commands, pending = [], ""
    for line in block.splitlines():
        if not pending and (not line.strip() or line.startswith("#")):
            continue
        pending += line + "\n"
        code = re.sub(r"\s#\s.*$", "", pending)  # a trailing comment's quotes do not count
        if code.count("'") % 2 == 0 and not line.endswith("\\"):
            commands.append(pending.strip())
            pending = ""
    return commands


def get(url: str, **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, answer.read()


def shell(command: str, *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory) -> Iterator[dict]:
    """`make run` in a fresh copy; yields its directory, base URL, environment and output."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    checkout = fresh_copy(tmp_path_factory.mktemp("fresh-clone"))
    port = free_port()
    env = newcomer_env(port)
    log_path = checkout / "make-run.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            ["make", "run"], cwd=checkout, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while BANNER not in log_path.read_text(errors="replace"):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("make run never printed its banner:\n" + log_path.read_text()[-3000:])
            time.sleep(0.5)
        time.sleep(0.5)  # the rest of the banner
        yield {
            "dir": checkout,
            "base": f"http://localhost:{port}",
            "port": port,
            "env": env,
            "log": log_path,
        }
    finally:
        stop_session(server)


def stop_session(server: subprocess.Popen) -> None:
    """Stop `make run` and everything it started (they share its session): ask, wait up to 20 s
    for every one of them, not only make (a Celery worker outlived it once), then kill the rest."""
    os.killpg(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        server.poll()  # reaps make, which would otherwise keep the group alive as a zombie
        try:
            os.killpg(server.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()


def screenshot(page, name: str) -> None:
    out = artifacts_dir() / "first-hour"
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)


def test_the_banner_comes_last_and_every_link_in_it_answers(newcomer):
    output = newcomer["log"].read_text(errors="replace")
    banner = output[output.index(BANNER) :]

    # After the worker's start-up lines, not buried under them.
    assert re.search(r"celery@\S+ ready\.", output[: output.index(BANNER)])
    links = set(re.findall(r"http://localhost:\d+/[^\s]*", banner))
    surfaces = {link for link in links if "..." not in link}
    base = newcomer["base"]
    expected = {"/", "/dev/shopify-admin/", "/admin/", "/api/docs/", "/healthz"}
    assert {link.removeprefix(base) for link in surfaces} == expected
    for link in sorted(surfaces):
        assert get(link)[0] == 200, link
    status, body = get(f"{base}/apps/fitting-room/public/check-credits")
    assert status == 200 and json.loads(body)["allowed"] is True
    assert "user admin, password admin" in banner
    assert ".venv/bin/python manage.py apikey_create --account demo --credits 100" in banner


def test_every_management_command_in_the_readme_exits_0_as_printed(newcomer):
    commands = readme_block("### Management commands")

    assert len(commands) >= 3
    for command in commands:
        result = shell(command, cwd=newcomer["dir"], env=newcomer["env"])
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"


def test_the_readmes_api_key_runs_a_v1_try_on_to_completed(newcomer):
    lines = readme_block("The public `/v1` API the same way")
    key_line, base_line, *calls = lines
    assert key_line.startswith("K=$(") and base_line.startswith("V=")
    env = dict(newcomer["env"])
    key = shell(f"{key_line}; echo $K", cwd=newcomer["dir"], env=env).stdout.strip()
    assert key.startswith("fr_live_")
    env |= {"K": key, "V": f"{newcomer['base']}/v1"}

    def run(command: str, **placeholders: str) -> dict:
        command = re.sub(r"\s+#.*$", "", command).replace(
            "localhost:8000", f"localhost:{newcomer['port']}"
        )
        for placeholder, value in placeholders.items():
            command = command.replace(placeholder, value)
        result = shell(command, cwd=newcomer["dir"], env=env)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    upload, try_on, status_call, credits_call = calls
    image = run(upload)
    job = run(try_on, **{"file_…": image["imageId"]})
    assert job["status"] == "PENDING"
    deadline = time.monotonic() + 60
    while (status := run(status_call, **{"gen_…": job["generationId"]}))["status"] not in (
        "COMPLETED",
        "FAILED",
    ):
        assert time.monotonic() < deadline, status
        time.sleep(1)
    assert status["status"] == "COMPLETED", status
    assert get(status["resultImageUrl"])[0] == 200
    assert run(credits_call)["creditBalance"] >= 99


def test_each_surface_in_chromium(newcomer, page, page_errors):
    base = newcomer["base"]

    page.goto(f"{base}/")
    assert page.locator("#engine-preview").is_visible()  # the no-AI preview is said
    screenshot(page, "storefront")

    page.goto(f"{base}/products/field-jacket?locale=fr&variant=13002")
    page.locator(".fr-button").wait_for(state="visible")
    assert page.locator("label[for=variant]").inner_text() == "Couleur"
    screenshot(page, "product-fr")

    page.goto(f"{base}/dev/shopify-admin/")
    app = page.frame_locator("#app-frame")
    app.locator("#usage-chart[aria-busy=false]").wait_for()
    assert app.locator("#engine-preview").is_visible()
    assert not app.locator("#watermark-enabled").is_checked()
    assert app.locator("#watermark-enabled").is_disabled()
    assert "is not defined" not in app.locator("body").inner_text()
    assert app.locator("#usage-chart .field-error").count() == 0
    screenshot(page, "merchant-page")

    page.goto(f"{base}/api/docs/")
    page.locator(".swagger-ui .information-container").wait_for()
    screenshot(page, "api-docs")

    page.goto(f"{base}/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")
    page.click("input[type=submit]")
    page.goto(f"{base}/admin/generations/generation/")
    results = page.locator("#changelist .results")
    widths = results.evaluate("node => [node.scrollWidth, node.clientWidth]")
    assert widths[0] <= widths[1], widths  # no horizontal scroll at 1280 px
    screenshot(page, "admin-generations")
    page.goto(f"{base}/admin/shopify_integration/shop/")
    widths = results.evaluate("node => [node.scrollWidth, node.clientWidth]")
    assert widths[0] <= widths[1], widths
    screenshot(page, "admin-shops")

    assert not page_errors.messages, page_errors.messages
