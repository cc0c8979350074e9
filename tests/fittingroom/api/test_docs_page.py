import re

from django.conf import settings
from django.contrib.staticfiles import finders


def test_the_docs_page_loads_swagger_ui_from_our_own_static_files(client):
    page = client.get("/api/docs/").content.decode()

    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("swagger-ui-bundle" in source for source in sources), sources
    assert all(source.startswith(settings.STATIC_URL) for source in sources), sources
    for source in sources:
        assert finders.find(source.removeprefix(settings.STATIC_URL)), source
