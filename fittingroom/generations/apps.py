from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "fittingroom.generations"
    label = "generations"
    verbose_name = "Generations"

    def ready(self) -> None:
        # Registers the demo catalog source.
        import fittingroom.catalog.demo  # noqa: F401
