from django.contrib import admin
from django.http import HttpRequest

# The app list stays on the admin's home page; beside a change list it took 300 of 1280 px and
# pushed the shop, engine and timing columns behind a horizontal scroll.
admin.site.enable_nav_sidebar = False


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Rows that only services write (ledgers, charges sent to a provider): operators read them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
