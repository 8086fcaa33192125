"""History: every attempt at a question, its score over time, answers side by side."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.accounts.current import CurrentUser
from app.deps import AppSettings, DbSession, IdPath
from app.material.bank import QuestionView, get_question
from app.practice.errors import QuestionNotFound
from app.practice.progress import review_settings
from app.practice.reviews import question_card
from app.practice.stats import practised_questions, question_attempts
from app.voice.service import deliveries_for
from app.web.charts import score_chart
from app.web.render import HtmlErrorRoute, render

router = APIRouter(include_in_schema=False, route_class=HtmlErrorRoute)


@router.get("/history", response_class=HTMLResponse)
def history_index(request: Request, session: DbSession, user: CurrentUser) -> HTMLResponse:
    """Questions answered so far, most recent first."""
    questions = practised_questions(session=session, user_id=user.id)
    return render(request, "history_index.html", {"questions": questions})


@router.get("/questions/{question_id}/history", response_class=HTMLResponse)
def question_history(
    request: Request,
    question_id: IdPath,
    session: DbSession,
    user: CurrentUser,
    settings: AppSettings,
) -> HTMLResponse:
    """Every attempt at one question: a score chart and the answers side by side."""
    question = get_question(session=session, user_id=user.id, question_id=question_id)
    if question is None:
        raise QuestionNotFound(f"no question {question_id}")
    attempts = question_attempts(session=session, user_id=user.id, question_id=question_id)
    chart = score_chart([(a.created_at, a.score) for a in attempts])
    deliveries = deliveries_for(session=session, answer_ids=[a.answer_id for a in attempts])
    prefs = review_settings(session=session, user_id=user.id, settings=settings)
    context = {
        "card": question_card(
            session=session,
            user_id=user.id,
            question_id=question_id,
            desired_retention=prefs.desired_retention,
        ),
        "question": QuestionView.of(question),
        "attempts": attempts,
        "chart": chart,
        "deliveries": deliveries,
    }
    return render(request, "history.html", context)
