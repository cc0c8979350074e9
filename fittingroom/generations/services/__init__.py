from fittingroom.generations.services.create import generation_create
from fittingroom.generations.services.lifecycle import (
    generation_claim,
    generation_complete,
    generation_fail,
    generations_reap,
)
from fittingroom.generations.services.render import generation_render

__all__ = [
    "generation_claim",
    "generation_complete",
    "generation_create",
    "generation_fail",
    "generation_render",
    "generations_reap",
]
