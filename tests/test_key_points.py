"""Key points of a reference answer, as the importer stores them and the grader judges them."""

from __future__ import annotations

from app.grading.key_points import KeyPoint, extract_key_points, split_heading, split_sentences


def test_labelled_lines_become_labelled_points() -> None:
    reference = (
        "This rests on two components:\n"
        "Self-Attention: Each word scores every other word. This lets the model weigh context.\n"
        "Positional Encodings: A vector added to each embedding gives the word order.\n"
    )
    points = extract_key_points(reference)

    assert [p.label for p in points] == ["Self-Attention", "Positional Encodings"]
    assert points[0].display == (
        "Self-Attention: Each word scores every other word. This lets the model weigh context."
    )


def test_sentences_are_points_and_elaborations_stay_with_their_claim() -> None:
    reference = (
        "Supervised learning uses labeled data. This means every input has a known output. "
        "A classic example is spam detection. Unsupervised learning uses unlabeled data."
    )
    points = [p.text for p in extract_key_points(reference)]

    assert points == [
        "Supervised learning uses labeled data. This means every input has a known output. "
        "A classic example is spam detection.",
        "Unsupervised learning uses unlabeled data.",
    ]


def test_two_plain_sentences_are_two_points() -> None:
    points = extract_key_points(
        "It turns the scaled dot products into weights that are positive and sum to one. "
        "The output is the weighted sum of the value vectors."
    )
    assert len(points) == 2


def test_a_heading_glued_to_the_previous_sentence_starts_a_new_point() -> None:
    reference = (
        "Decision Trees: They are prone to overfitting, controlled by max_depth."
        "Random Forest: An ensemble of many decision trees that vote."
    )
    labels = [p.label for p in extract_key_points(reference)]
    assert labels == ["Decision Trees", "Random Forest"]


def test_a_sentence_introducing_a_missing_formula_is_dropped_not_the_whole_line() -> None:
    reference = (
        "Self-Attention: Each word attends to every other word in the sentence. "
        "Mathematically, it's often described as:"
    )
    (point,) = extract_key_points(reference)
    assert point == KeyPoint(
        text="Each word attends to every other word in the sentence.", label="Self-Attention"
    )


def test_a_short_reference_is_one_point() -> None:
    assert extract_key_points("At main.") == [KeyPoint(text="At main.")]
    assert extract_key_points("   ") == []


def test_split_sentences_keeps_abbreviations_in_lowercase_context() -> None:
    assert split_sentences("Use L2, e.g. ridge. Then tune it!") == [
        "Use L2, e.g. ridge.",
        "Then tune it!",
    ]


def test_examples_after_for_instance_are_not_key_points() -> None:
    reference = (
        "Zero-Shot Prompting: You ask the model to do a task without examples. For instance:\n"
        "Classify the following text as 'Positive' or 'Negative': 'I loved the movie!'\n"
        "One-Shot Prompting: You provide a single example of the task. For instance:\n"
        "Text: 'The food was terrible.' Sentiment: Negative\n"
        "Text: 'I loved the movie!' Sentiment:\n"
        "Few-Shot Prompting: You provide several examples of the task."
    )
    labels = [point.label for point in extract_key_points(reference)]
    assert labels == ["Zero-Shot Prompting", "One-Shot Prompting", "Few-Shot Prompting"]


def test_a_sub_heading_may_give_other_names_in_brackets() -> None:
    # The commas inside "(Ridge, or weight decay)" are the name's, not a lead-in's.
    heading, body = split_heading(
        "L2 Regularization (Ridge, or weight decay): Adds the sum of the squared weights."
    )
    assert heading == "L2 Regularization (Ridge, or weight decay)"
    assert body == "Adds the sum of the squared weights."
    # Outside brackets, a comma still says the line is a sentence, not a sub-heading.
    assert split_heading("Mathematically, it is often described as: bias plus variance.") == (
        None,
        "Mathematically, it is often described as: bias plus variance.",
    )


def test_a_camel_case_name_is_not_read_as_a_glued_heading() -> None:
    (point,) = extract_key_points(
        "LoRA (Low-Rank Adaptation): LoRA freezes the weights and learns a low-rank update."
    )
    assert point.label == "LoRA (Low-Rank Adaptation)"
    # Nor one that opens with a lower-case letter.
    (point,) = extract_key_points(
        "nDCG (normalized Discounted Cumulative Gain): It discounts graded relevance by rank."
    )
    assert point.label == "nDCG (normalized Discounted Cumulative Gain)"
    # A heading glued to a sentence's last word is still split off.
    glued = extract_key_points(
        "Bagging averages many deep trees trained on bootstrap samples of the dataBoosting: "
        "Boosting trains shallow trees one after another on the errors so far."
    )
    assert [p.label for p in glued] == [None, "Boosting"]


def test_a_sentence_that_makes_a_claim_before_its_list_is_kept() -> None:
    points = extract_key_points(
        "LSTMs: Besides the hidden state, an LSTM keeps a separate cell state that is changed "
        "only through additive updates controlled by gates:\n"
        "Forget Gate: decides what information to remove from the cell state.\n"
    )
    assert points[0].label == "LSTMs"
    assert "separate cell state" in points[0].text
    assert points[1].label == "Forget Gate"
