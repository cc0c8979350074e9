import os

from django.core.asgi import get_asgi_application

from config.bodylimit import AsgiBodyLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Bodies over their route's cap are refused in front of Django, before it reads (and spools) them.
application = AsgiBodyLimit(get_asgi_application())
