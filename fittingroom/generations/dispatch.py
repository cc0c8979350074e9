"""Putting generation work on the queue, for services and views.

The tasks module imports the services (a task is a thin wrapper around one); services that
need to enqueue name the task here instead of importing it, so the import graph has no
cycle: tasks → services → dispatch. Tasks are sent by name, which needs no task module
imported in the sending process.
"""

from celery import current_app

from fittingroom.core.task_send import task_send

RENDER_TASK = "fittingroom.generations.tasks.generation_process"
POLL_TASK = "fittingroom.generations.tasks.generation_poll_task"


def render_enqueue(generation_id: str, *, countdown: float | None = None) -> None:
    """Claim and render (or submit) the generation, now or after ``countdown`` seconds."""
    if countdown is None:
        task_send(RENDER_TASK, (generation_id,))
    else:
        current_app.send_task(RENDER_TASK, (generation_id,), countdown=countdown)


def poll_enqueue(generation_id: str, *, countdown: float | None = None) -> None:
    """Ask the provider about the generation's job, now or after ``countdown`` seconds."""
    current_app.send_task(POLL_TASK, (generation_id,), countdown=countdown)
