"""Errors a person can cause while practising. They say what went wrong in the domain's words;
the pages and the API each choose the HTTP status for them (app/web/render.py,
app/api/errors.py)."""


class PracticeError(Exception):
    """A request that cannot be carried out as asked."""


class InvalidOptions(PracticeError):
    """Interview options outside what an interview can be (count, order, time limit, ids)."""


class NotFoundError(PracticeError):
    """An id that names nothing (or something of another person's)."""


class InterviewNotFound(NotFoundError):
    """No such interview of this person."""


class TurnNotFound(NotFoundError):
    """The interview has no such turn."""


class AnswerNotFound(NotFoundError):
    """No such answer of this person."""


class QuestionNotFound(NotFoundError):
    """No such question in the banks this person sees."""


class InterviewFinished(PracticeError):
    """Every turn of the interview is answered, and no turn was named."""


class FollowUpNotAllowed(PracticeError):
    """A follow-up the interviewer cannot ask: not on a missed key point of a question turn."""


class AnswerTooLongError(PracticeError):
    """An answer over the size limit."""


class EmptyAnswerError(PracticeError):
    """An answer with nothing but whitespace in it; nothing is stored."""


class GraderUnavailable(Exception):
    """The chosen grader cannot be built (e.g. its model cannot be loaded): not the person's
    fault."""

    def __init__(self, name: str) -> None:
        super().__init__(f"the grader {name!r} is unavailable")
        self.name = name


class GradingFailed(Exception):
    """The grader raised while grading: the server's problem; its log has the details."""

    def __init__(self, name: str) -> None:
        # A fixed text: what a grader's exception says (an endpoint's reply, a key, a path) is
        # for the server's log, not for clients.
        super().__init__(f"the grader {name!r} failed; the server's log has the details")
        self.name = name
