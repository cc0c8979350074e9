from rest_framework import serializers

from fittingroom.core.storage import signed_file_url
from fittingroom.generations.models import Generation


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

    def get_resultImageUrl(self, generation: Generation) -> str | None:
        if generation.status != Generation.Status.COMPLETED or not generation.result_image:
            return None
        return signed_file_url(generation.result_image.name)

    def get_errorCode(self, generation: Generation) -> str | None:
        return generation.error_code or None

    def get_errorMessage(self, generation: Generation) -> str | None:
        return generation.error_message or None
