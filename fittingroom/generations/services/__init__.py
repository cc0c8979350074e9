from fittingroom.generations.services.create import generation_create
from fittingroom.generations.services.lifecycle import (
    generation_claim,
    generation_complete,
    generation_fail,
    generations_reap,
)
from fittingroom.generations.services.render import generation_poll, generation_render
from fittingroom.generations.services.retention import generations_expire

__all__ = [
    "generation_claim",
    "generation_complete",
    "generation_create",
    "generation_fail",
    "generation_poll",
    "generation_render",
    "generations_expire",
    "generations_reap",
]
