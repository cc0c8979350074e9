"""The one failure type the try-on worker knows: a stable code and a message for the shopper.

Engines, catalog sources and the pipeline raise subclasses; the worker stores ``code`` and
``message`` on the failed generation and refunds it. Details for operators go in exception
notes and logs, never in ``message``.
"""


class GenerationFailure(Exception):
    """A try-on failed for a reason reported to the shopper by ``code`` and ``message``."""

    code: str = "ENGINE_ERROR"
    message: str = "The try-on could not be rendered."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        super().__init__(self.message)
