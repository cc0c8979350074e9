from rest_framework import serializers

from fittingroom.core.storage import signed_file_url
from fittingroom.generations.models import Generation

_DATETIME = serializers.DateTimeField()  # formats dates as a DateTimeField does


class GenerationStatusSerializer(serializers.Serializer):
    """A try-on's status as both the proxy API and the public API answer it; the result URL is
    signed and expires."""

    generationId = serializers.CharField(source="id")
    status = serializers.ChoiceField(choices=Generation.Status.choices)
    resultImageUrl = serializers.SerializerMethodField()
    errorCode = serializers.SerializerMethodField()
    errorMessage = serializers.SerializerMethodField()
    reused = serializers.BooleanField(
        help_text="True: answered at once from an identical earlier try-on, free of charge."
    )
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    def to_representation(self, generation: Generation) -> dict:
        # Built directly: every widget polls this, and DRF's per-field machinery (all fields
        # deep-copied for each answer) was a third of the answer's CPU. The fields above still
        # describe it (OpenAPI); a subclass's own fields go through DRF as usual.
        body = {
            "generationId": generation.id,
            "status": generation.status,
            "resultImageUrl": self.get_resultImageUrl(generation),
            "errorCode": self.get_errorCode(generation),
            "errorMessage": self.get_errorMessage(generation),
            "reused": generation.reused,
            "createdAt": _DATETIME.to_representation(generation.created_at),
            "updatedAt": _DATETIME.to_representation(generation.updated_at),
        }
        for name in self._declared_fields:
            if name not in body:
                field = self.fields[name]
                value = field.get_attribute(generation)
                body[name] = None if value is None else field.to_representation(value)
        return body

    def get_resultImageUrl(self, generation: Generation) -> str | None:
        if generation.status != Generation.Status.COMPLETED or not generation.result_image:
            return None
        return signed_file_url(generation.result_image.name)

    def get_errorCode(self, generation: Generation) -> str | None:
        return generation.error_code or None

    def get_errorMessage(self, generation: Generation) -> str | None:
        return generation.error_message or None
