from fittingroom.accounts.models import Account
from fittingroom.core.errors import ApplicationError
from fittingroom.generations.models import Generation


class GenerationNotFound(ApplicationError):
    code, status, message = "GENERATION_NOT_FOUND", 404, "Generation not found."


def generation_get(*, account: Account, generation_id: str) -> Generation:
    """One indexed read; another account's generation is simply not found."""
    generation = Generation.objects.filter(account=account, id=generation_id).first()
    if generation is None:
        raise GenerationNotFound()
    return generation
