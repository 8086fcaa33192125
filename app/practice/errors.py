"""Errors a person can cause while practising; routes map them to status codes."""


class PracticeError(Exception):
    """A request that cannot be carried out as asked (422)."""


class NotFoundError(PracticeError):
    """An id that names nothing (404)."""


class AnswerTooLongError(PracticeError):
    """An answer over the size limit (413)."""


class EmptyAnswerError(PracticeError):
    """An answer with nothing but whitespace in it (422); nothing is stored."""
