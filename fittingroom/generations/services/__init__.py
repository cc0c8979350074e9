from fittingroom.generations.services.create import generation_create
from fittingroom.generations.services.lifecycle import (
    generation_claim,
    generation_complete,
    generation_fail,
    generations_reap,
)
from fittingroom.generations.services.render import generation_poll, generation_render
from fittingroom.generations.services.retention import generations_expire
from fittingroom.generations.services.shoppers import (
    account_data_delete,
    shopper_data_delete,
    shopper_data_export,
)

__all__ = [
    "account_data_delete",
    "generation_claim",
    "generation_complete",
    "generation_create",
    "generation_fail",
    "generation_poll",
    "generation_render",
    "generations_expire",
    "generations_reap",
    "shopper_data_delete",
    "shopper_data_export",
]
