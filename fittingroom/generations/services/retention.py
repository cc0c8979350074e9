from django.core.files.storage import default_storage
from django.utils import timezone

from fittingroom.generations.models import Generation


def generations_expire(*, batch_size: int = 500) -> int:
    """Delete results past their retention from storage and clear the references; the rows stay
    (usage, billing). Returns how many results were deleted."""
    expired = list(
        Generation.objects.filter(expires_at__lte=timezone.now())
        .exclude(result_image="")
        .values_list("id", "result_image")[:batch_size]
    )
    for generation_id, name in expired:
        default_storage.delete(name)
        Generation.objects.filter(id=generation_id, result_image=name).update(result_image="")
    return len(expired)
