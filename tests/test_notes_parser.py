"""Parsing notes: day 1 exactly, the scraped-text quirks, Markdown, YAML/JSON, and bad files."""

from pathlib import Path

import pytest

from app.grading.key_points import extract_key_points, split_sentences
from app.grading.text import split_glued_headings
from app.material.notes import NotesError
from app.material.parser import parse_notes, read_notes_file
from app.material.text_format import strip_surrounding_quotes
from tests.conftest import DAY1

MATERIAL = Path(__file__).parent / "material"


def test_day1_gives_its_eight_questions_with_parts_and_topics() -> None:
    notes = read_notes_file(DAY1)
    assert [(q.part_number, q.topic_number, q.topic_title) for q in notes.questions] == [
        (1, 1, "Transformers"),
        (1, 2, "Large Language Models (LLMs)"),
        (1, 3, "Prompt Engineering"),
        (1, 4, "Embeddings"),
        (2, 1, "Supervised vs. Unsupervised Learning"),
        (2, 2, "Common Algorithms"),
        (2, 3, "The Bias-Variance Tradeoff"),
        (2, 4, "Overfitting and Underfitting"),
    ]
    assert notes.questions[0].part_title == "LLMs, Transformers, Prompt Engineering, and Embeddings"
    assert notes.questions[4].part_title == "Core Machine Learning Principles and Algorithms"
    first = notes.questions[0]
    assert first.question == (
        "Can you explain the Transformer architecture and what makes it so effective?"
    )
    assert first.answer.startswith("The Transformer is a neural network architecture")


def test_day1_answers_end_where_the_next_topic_begins() -> None:
    questions = read_notes_file(DAY1).questions
    assert questions[0].answer.endswith("trained to predict the next word in a sequence.")
    assert "Large Language Models" not in questions[0].answer
    assert questions[3].answer.endswith("accurate representation of meaning.")
    assert "Part 2" not in questions[3].answer
    last = questions[-1].answer
    assert last.endswith("learn more robust and redundant features.")
    assert "Comments" not in last and "Post a Comment" not in last


def test_day1_glued_sub_headings_are_split_without_losing_text() -> None:
    questions = read_notes_file(DAY1).questions
    algorithms = questions[5].answer.splitlines()
    assert any(line.startswith("Random Forest: This is an ensemble model") for line in algorithms)
    assert any(line.startswith("Support Vector Machines (SVMs): A powerful") for line in algorithms)
    assert "hyperparameters like max_depth." in questions[5].answer
    prompting = questions[2].answer.splitlines()
    assert (
        "One-Shot Prompting: You provide a single example of the task to guide the model. "
        "This helps it understand the expected format and context. For instance:" in prompting
    )
    assert any(line.startswith("Few-Shot Prompting:") for line in prompting)
    assert "Classify the following text as 'Positive' or 'Negative': 'I loved the movie!'" in (
        prompting
    )


def test_no_content_is_dropped_from_day1() -> None:
    raw = DAY1.read_text()
    parsed = " ".join(q.answer for q in read_notes_file(DAY1).questions)
    squash = lambda s: "".join(s.split()).replace('"', "")  # noqa: E731
    for fragment in ("n_estimators,thenumberoftrees", "Sentiment:NegativeText:", "max_depth."):
        assert fragment in squash(raw) and fragment in squash(parsed)


def test_follow_ups_curly_quotes_glued_headings_and_boilerplate() -> None:
    notes = read_notes_file(MATERIAL / "day2.txt")
    assert len(notes.questions) == 4
    rag, evaluation, lora, metrics = notes.questions
    assert rag.question == "What is Retrieval-Augmented Generation and why use it?"
    assert rag.answer.startswith("RAG combines")
    assert rag.answer.endswith("before embedding.")
    assert "\nVector Stores: They index embeddings" in rag.answer
    assert "“HNSW”" in rag.answer  # inner quotes kept
    assert evaluation.follow_up and evaluation.topic_title == rag.topic_title
    assert evaluation.answer.endswith("retrieved context supports?")
    assert "\nRank Choice: A small rank" in lora.answer
    assert (metrics.part_number, metrics.part_title) == (2, "Evaluation")
    assert metrics.answer == (
        "Precision is the share of predicted positives that are correct.\n\n"
        "Recall is the share of actual positives that are found."
    )


@pytest.mark.parametrize("name", ["day2.md", "bank.yaml", "bank.json"])
def test_markdown_and_structured_banks(name: str) -> None:
    notes = read_notes_file(MATERIAL / name)
    first, last = notes.questions[0], notes.questions[-1]
    assert first.question == "What is Retrieval-Augmented Generation and why use it?"
    assert first.part_title == "Retrieval and RAG"
    assert first.topic_title == "Retrieval-Augmented Generation"
    assert first.answer.startswith("RAG combines a retriever with a generator.")
    assert (last.part_number, last.part_title, last.topic_title) == (2, "Evaluation", "Metrics")
    assert last.question == "What is the difference between precision and recall?"


def test_markdown_follow_up_is_its_own_question() -> None:
    questions = read_notes_file(MATERIAL / "day2.md").questions
    assert [q.follow_up for q in questions] == [False, True, False]


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("missing_answer.txt", 6, "no 'Your Answer:'"),
        ("no_questions.txt", 1, "no questions found"),
        ("bad_item.yaml", 5, "no 'answer'"),
    ],
)
def test_bad_files_name_file_and_line(name: str, line: int, message: str) -> None:
    with pytest.raises(NotesError) as excinfo:
        read_notes_file(MATERIAL / name)
    assert excinfo.value.line == line
    assert str(excinfo.value).startswith(f"{name}:{line}: ")
    assert message in str(excinfo.value)


def test_answer_without_question_is_an_error() -> None:
    with pytest.raises(NotesError, match=r"notes.txt:3: 'Your Answer:' without"):
        parse_notes("Part 1: A\n1. B\nYour Answer: orphan\n", source="notes.txt")


def test_lines_before_first_part_are_not_questions() -> None:
    text = (
        'Interviewer: "Intro?"\nYour Answer: "no"\nPart 1: A\n1. B\nInterviewer: "Q?"\n'
        'Your Answer: "A."\n'
    )
    assert [q.question for q in parse_notes(text, source="n.txt").questions] == ["Q?"]


def test_numbered_list_inside_an_answer_stays_in_the_answer() -> None:
    text = (
        'Part 1: A\n1. Topic\nInterviewer: "Steps?"\nYour Answer: "Three steps:\n'
        '1. Collect data.\n2. Train.\n3. Evaluate."\n2. Next\nInterviewer: "Q2?"\n'
        'Your Answer: "A2."\n'
    )
    first, second = parse_notes(text, source="n.txt").questions
    assert first.answer == "Three steps:\n1. Collect data.\n2. Train.\n3. Evaluate."
    assert second.topic_title == "Next"


def test_invalid_yaml_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(NotesError, match=r"broken.yaml:\d+: not valid YAML"):
        parse_notes("- question: [unclosed\n  answer: x\n", source="broken.yaml")
    path = tmp_path / "latin1.txt"
    path.write_bytes("Part 1: Caf\xe9\n".encode("latin-1"))
    with pytest.raises(NotesError, match=r"latin1\.txt:1: not UTF-8"):
        read_notes_file(path)


def test_quote_and_heading_helpers() -> None:
    assert strip_surrounding_quotes("“He said “hi” to me”") == "He said “hi” to me"
    assert strip_surrounding_quotes('a "label"') == 'a "label"'
    assert split_glued_headings("like max_depth.Random Forest: This") == (
        "like max_depth.\nRandom Forest: This"
    )
    assert split_glued_headings("Static Embeddings (e.g., Word2Vec, GloVe): These") == (
        "Static Embeddings (e.g., Word2Vec, GloVe): These"
    )


QUOTED_ANSWERS = [
    # Straight and curly, single and double, inside an answer, at its edges and after a full stop.
    "Each attention layer is called a 'head.' Each head learns different relationships.",
    "The word ‘bank’ has one vector in ‘river bank’ and ‘financial bank.’ While useful, "
    "it misses ambiguity.",
    '"Bagging" and "boosting" both combine many weak models into a strong one.',
    "“Bagging” trains models in parallel, while “boosting” trains them one after another.",
    'A model that says "I am not sure." Is calibrated when its confidence matches accuracy.',
]


@pytest.mark.parametrize("answer", QUOTED_ANSWERS)
def test_answers_keep_the_text_around_inner_quotes(answer: str) -> None:
    text = (
        "Part 1: Quotes\n1. Quoting\n"
        "Interviewer: What do quotes do to a reference answer?\n"
        f"Your Answer: {answer}\n"
    )
    parsed = parse_notes(text, source="quotes.txt").questions[0]
    assert parsed.answer == answer
    # The key points, put back together, are the answer: no quote or word dropped.
    points = extract_key_points(parsed.answer)
    assert " ".join(point.display for point in points) == answer


def test_sentences_keep_their_closing_quote() -> None:
    assert split_sentences("It is called a 'head.' Each head learns. “Done.” Next.") == [
        "It is called a 'head.'",
        "Each head learns.",
        "“Done.”",
        "Next.",
    ]


def test_only_quotes_around_the_whole_text_are_removed() -> None:
    assert strip_surrounding_quotes('"Bagging" and "boosting" differ') == (
        '"Bagging" and "boosting" differ'
    )
    assert strip_surrounding_quotes('"Bagging" and "boosting"') == '"Bagging" and "boosting"'
    assert strip_surrounding_quotes("“Whole answer with ‘inner’ quotes.”") == (
        "Whole answer with ‘inner’ quotes."
    )
    assert strip_surrounding_quotes('"A closing quote lost in scraping.') == (
        "A closing quote lost in scraping."
    )
    assert strip_surrounding_quotes('An opening quote lost."') == "An opening quote lost."
