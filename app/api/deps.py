"""The API's own dependency: the cache of bank questions used for scoring.

Like app.deps, it is async: reading app.state needs no worker thread, so the scoring routes
do their blocking work (database and grader) in one thread hop of their own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.practice.scoring import BankQuestions


async def api_questions(request: Request) -> BankQuestions:
    """The app's cache of bank questions for scoring."""
    questions: BankQuestions = request.app.state.api_questions
    return questions


ApiQuestions = Annotated[BankQuestions, Depends(api_questions)]
