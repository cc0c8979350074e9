from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "fittingroom.images"
    label = "images"
    verbose_name = "Person images"

    def ready(self) -> None:
        from pillow_heif import register_heif_opener

        register_heif_opener()
