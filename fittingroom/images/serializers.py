"""What an upload answers about the photo, on the proxy and the public API alike."""

from rest_framework import serializers

from fittingroom.images.models import PersonImage
from fittingroom.images.quality import MESSAGES, issues_payload

UPLOAD_MESSAGE = "Image processed successfully"


class FaceSerializer(serializers.Serializer):
    x = serializers.IntegerField()
    y = serializers.IntegerField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    confidence = serializers.FloatField(help_text="0 to 1.")


class PhotoIssueSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=list(MESSAGES))
    message = serializers.CharField()


class PhotoQualitySerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="False: a try-on with this photo is refused.")
    issues = PhotoIssueSerializer(many=True)

    def to_representation(self, image: PersonImage) -> dict:
        return issues_payload(image.quality_issues)


class PhotoCheckSerializer(serializers.Serializer):
    """The processed photo: its size, the faces found (in its pixels) and the check's verdict,
    so the shopper can be told what to fix before pressing try-on."""

    message = serializers.SerializerMethodField()
    imageWidth = serializers.IntegerField(source="width")
    imageHeight = serializers.IntegerField(source="height")
    faces = FaceSerializer(many=True)
    quality = PhotoQualitySerializer(source="*")

    def get_message(self, image: PersonImage) -> str:
        return UPLOAD_MESSAGE
