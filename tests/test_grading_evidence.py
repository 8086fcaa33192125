"""Which answer spans state a key point: names, subjects and swapped attributes."""

from __future__ import annotations

import pytest

from app.grading.contradiction import point_names, swapped_attribute
from app.grading.evidence import names_point, speaks_of_the_opposite, states_the_claim
from app.grading.role_swap import speaks_of_another, swapped_roles

EMBEDDING_POINTS = (
    "Static Embeddings (e.g., Word2Vec, GloVe): These models assign a single, fixed vector to "
    "each word.",
    "Contextual Embeddings (e.g., BERT, ELMo): These models generate embeddings for a word "
    "based on the sentence it appears in.",
    "Encoder-only models like BERT are great for understanding tasks like text classification.",
    "Decoder-only models like the GPT series are excellent for generation tasks.",
)
NAMES = frozenset(n for p in EMBEDDING_POINTS for n in point_names(p))


@pytest.mark.parametrize(
    ("answer", "point", "clause"),
    [
        (
            "Embeddings are vectors. Word2Vec produces contextual embeddings: the vector changes.",
            0,
            "Word2Vec produces contextual embeddings",
        ),
        ("BERT is static: one vector per word.", 1, "BERT is static"),
        (
            "BERT is the decoder-only model used for generation, and GPT is the encoder-only one.",
            2,
            "BERT is the decoder-only model used for generation",
        ),
        (
            "BERT is the decoder-only model used for generation, and GPT is the encoder-only one.",
            3,
            "and GPT is the encoder-only one",
        ),
    ],
)
def test_a_name_given_the_opposite_attribute_is_a_swap(
    answer: str, point: int, clause: str
) -> None:
    assert swapped_attribute(EMBEDDING_POINTS[point], answer, NAMES) == clause


@pytest.mark.parametrize(
    "answer",
    [
        "Word2Vec gives one static vector per word; BERT gives contextual ones.",
        "Unlike Word2Vec, which is static, BERT is contextual.",
        "Word2Vec and GloVe are static, and BERT is not static at all.",
        "Encoder-only BERT is for classification, decoder-only GPT generates text.",
        "In contrast to Word2Vec BERT is contextual.",
    ],
)
def test_a_right_answer_swaps_nothing(answer: str) -> None:
    assert all(swapped_attribute(p, answer, NAMES) is None for p in EMBEDDING_POINTS)


METRIC_POINTS = (
    "Recall: Of all the actual positives, how many the model found: TP / (TP + FN). It matters "
    "when missing a positive is costly, like cancer screening.",
    "ROC-AUC: The ROC curve plots the true positive rate against the false positive rate at "
    "every threshold, and AUC is the area under it. It measures how well the model ranks "
    "positives above negatives. ROC-AUC can look optimistic when negatives vastly outnumber "
    "positives.",
)
METRIC_NAMES = frozenset(n for p in METRIC_POINTS for n in point_names(p))


@pytest.mark.parametrize(
    "answer",
    [
        # "False negatives" is one term, not "negative" said of recall.
        "I'd use precision when false positives are costly and recall when false negatives are.",
        # The point itself says the word, wherever it sits in it.
        "And ROC-AUC how well the scores rank positives above negatives across thresholds.",
    ],
)
def test_a_compound_term_or_a_word_the_point_says_is_no_swap(answer: str) -> None:
    assert all(swapped_attribute(p, answer, METRIC_NAMES) is None for p in METRIC_POINTS)


def test_a_name_in_the_body_is_not_bound_by_the_headings_words() -> None:
    answer = "BigBird mostly uses local attention in a sliding window."
    # "Global attention" is the heading's subject, not something the body says of BigBird.
    body = "Global attention: in BigBird a few chosen tokens attend to every position."
    assert swapped_attribute(body, answer, frozenset()) is None
    # Named in the heading, the name is what the heading's words are said of.
    heading = "Global Attention (BigBird): a few chosen tokens attend to every position."
    assert swapped_attribute(heading, answer, frozenset()) == answer.rstrip(".")


def test_a_point_named_in_the_answer_is_recognised_word_for_word() -> None:
    question = "Could you explain the difference between supervised and unsupervised learning?"
    k_means = "An algorithm like K-Means could group customers into different clusters."
    assert names_point(k_means, question, "for example K-Means clustering customers")
    # "means" alone is not K-Means.
    assert not names_point(k_means, question, "Zero-shot means no examples.")
    get_data = "Get More Data: This is often the most effective solution."
    asked = "How do you detect and prevent overfitting?"
    assert names_point(get_data, asked, "first I would get more training data")
    assert not names_point(get_data, asked, "get the data into shape")
    dropout = "Dropout (for Neural Networks): This technique randomly deactivates neurons."
    assert names_point(dropout, asked, "and in neural networks, dropout randomly")


def test_a_sentence_about_the_opposite_subject_does_not_speak_of_the_point() -> None:
    unsupervised = "Unsupervised Learning uses unlabeled data."
    assert speaks_of_the_opposite(unsupervised, "Supervised learning uses labelled data.")
    assert not speaks_of_the_opposite(unsupervised, "Unsupervised learning has no labels.")
    # It names the point's subject as well: it may speak of both.
    assert not speaks_of_the_opposite(
        unsupervised, "Supervised learning has labels, unsupervised learning has none."
    )


def test_a_claim_is_stated_by_its_words_not_by_its_name() -> None:
    zero_shot = (
        "Zero-Shot Prompting: You ask the model to perform a task directly, without giving it "
        "any prior examples in the prompt."
    )
    question = "What is prompt engineering, and can you explain different prompting techniques?"
    assert not states_the_claim(zero_shot, question, "Zero-shot means training for zero epochs.")
    assert states_the_claim(zero_shot, question, "Zero-shot: you give no examples, just the task.")


REGULARIZATION_QUESTION = "What is the difference between L1 and L2 regularization?"
REGULARIZATION_POINTS = (
    "L1 and L2 do this by adding a penalty on the size of the weights to the loss function.",
    "L1 Regularization (Lasso): Adds the sum of the absolute values of the weights to the loss. "
    "Because the penalty keeps pulling with the same force even when a weight is small, it "
    "drives many weights to exactly zero. The result is a sparse model, so L1 also acts as a "
    "form of feature selection.",
    "L2 Regularization (Ridge): Adds the sum of the squared weights to the loss. The pull is "
    "proportional to the weight, so large weights are penalized heavily but small ones are "
    "barely touched. It shrinks all the weights smoothly toward zero without making them "
    "exactly zero, which gives a dense model with small, spread-out weights.",
)
GATE_POINTS = (
    "LSTMs: Long Short-Term Memory networks keep a cell state changed through gates.",
    "Forget Gate: decides what information to remove from the cell state.",
    "Input Gate: decides what new information to write into the cell state.",
    "Output Gate: decides what part of the cell state to expose as the hidden state.",
)
GATE_QUESTION = "What is the vanishing gradient problem, and how do LSTMs address it?"


@pytest.mark.parametrize(
    ("question", "points", "answer", "contradicted"),
    [
        (
            REGULARIZATION_QUESTION,
            REGULARIZATION_POINTS,
            "L1 adds the squared weights to the loss and L2 adds their absolute values.",
            {1: "L1 adds the squared weights to the loss", 2: "L2 adds their absolute values."},
        ),
        (
            GATE_QUESTION,
            GATE_POINTS,
            "The input gate decides what to remove from the cell state, and the forget gate "
            "decides what new information to write into it.",
            {
                2: "The input gate decides what to remove from the cell state",
                1: "and the forget gate decides what new information to write into it.",
            },
        ),
    ],
)
def test_two_things_with_their_roles_swapped_contradict_both_points(
    question: str, points: tuple[str, ...], answer: str, contradicted: dict[int, str]
) -> None:
    found = swapped_roles(question, points, answer)
    assert {i: found[i].strip(" .") for i in found} == {
        i: c.strip(" .") for i, c in contradicted.items()
    }


@pytest.mark.parametrize(
    "answer",
    [
        # Each thing with its own words.
        "L1 adds the absolute values of the weights to the loss and drives many of them to "
        "exactly zero, giving a sparse model. L2 adds the squared weights and shrinks them all "
        "smoothly, so the model stays dense.",
        # A clause naming both things, whichever comes first.
        "L2 is smoother than L1 which drives weights to exactly zero for a sparse model.",
        # Words both points say, or the question says, are no one's own.
        "L1 adds a penalty on the weights to the loss.",
        "L2 is a kind of regularization that adds a penalty to the loss function.",
        # A denial of the other's words is the thing's own claim.
        "L2 does not drive the weights all the way down, so it is not sparse.",
    ],
)
def test_a_right_answer_about_two_things_swaps_no_roles(answer: str) -> None:
    assert swapped_roles(REGULARIZATION_QUESTION, REGULARIZATION_POINTS, answer) == {}


def test_things_that_share_no_name_or_question_are_not_compared() -> None:
    # Sub-headings with no word in common, none named in the question: not two roles of one
    # comparison, so nothing they say is the other's.
    points = (
        "Get More Data: More data gives a more representative sample of the real world.",
        "Simplify the Model: Use a less complex model with fewer layers.",
    )
    answer = "Get more data by using fewer layers in a less complex model."
    assert swapped_roles("How do you prevent overfitting?", points, answer) == {}


def test_a_number_the_points_bind_to_the_other_thing_swaps_their_roles() -> None:
    # "bf16 has five exponent bits and ten mantissa bits" (fp16's): numbers are claims, in
    # digits or in words.
    question = "How does a string quartet differ from a piano trio?"
    points = (
        "String Quartet: a group of four string players, two violins, a viola and a cello.",
        "Piano Trio: a group of three players, a piano, a violin and a cello.",
    )
    swapped = "A string quartet is a group of 3 players."
    assert swapped_roles(question, points, swapped) == {0: swapped.rstrip(".")}
    assert swapped_roles(question, points, "A string quartet has 4 string players.") == {}
    assert swapped_roles(question, points, "The piano trio has 3 players with a piano.") == {}


def test_a_kind_of_a_thing_is_no_rival_of_it() -> None:
    # "Pruning" and "Post-Pruning" are not compared: saying post-pruning's words of pruning
    # is no swap. The two kinds of pruning are still compared.
    question = "Why and how do we prune decision trees?"
    points = (
        "Pruning: a fully grown tree memorizes noise in the training data, so pruning trades a "
        "little bias for much less variance.",
        "Pre-Pruning: stops the growth early, with a maximum depth or a minimum number of "
        "samples per leaf.",
        "Post-Pruning: grows the full tree first and then cuts back branches that do not "
        "improve validation performance, for example cost-complexity pruning with its penalty "
        "alpha chosen by cross-validation.",
    )
    general = (
        "You grow it out and cut it back, like cost-complexity pruning with the alpha chosen by "
        "cross-validation."
    )
    assert swapped_roles(question, points, general) == {}
    swapped = "Pre-pruning grows the full tree first and then cuts back the weak branches."
    assert swapped_roles(question, points, swapped) == {1: swapped.rstrip(".")}


def test_an_aspect_of_a_thing_is_no_rival_of_it() -> None:
    # "Why Dropout Regularizes" is about dropout: saying its words of dropout is no swap, while
    # weight decay's words said of dropout still are.
    question = "How do dropout and weight decay differ as regularizers?"
    points = (
        "Dropout: randomly zeroes a share of the activations at each training step, and does "
        "nothing at inference.",
        "Why Dropout Regularizes: units cannot co-adapt, so training is like averaging an "
        "ensemble of thinned networks.",
        "Weight Decay: adds a penalty on the squared weights to the loss, pulling every weight "
        "towards zero.",
    )
    why = (
        "Dropout works because it keeps units from co-adapting, so training is like averaging "
        "an ensemble of thinned networks."
    )
    assert swapped_roles(question, points, why) == {}
    swapped = "Dropout adds a penalty on the squared weights to the loss, pulling them to zero."
    assert swapped_roles(question, points, swapped) == {
        0: "Dropout adds a penalty on the squared weights to the loss"
    }


def test_a_sentence_about_a_sibling_sub_heading_speaks_of_another_thing() -> None:
    question = "What is the difference between bagging and boosting?"
    points = (
        "Bagging: trains its models in parallel on bootstrap samples and averages them.",
        "Boosting: trains its models one after another, each fixing the last one's errors.",
    )
    said = "Boosting is not parallel: it trains its models one after another."
    # About boosting, so it neither states nor denies the bagging point; it is the boosting
    # point's own sentence.
    assert speaks_of_another(question, points, 0, said)
    assert not speaks_of_another(question, points, 1, said)
    # A sentence that names neither is judged against both.
    assert not speaks_of_another(question, points, 0, "The models are trained in parallel.")


_BOOSTING = "How do gradient boosting and random forests differ?"
_ENSEMBLES = (
    "Gradient Boosting: builds shallow trees one after another, each fitted to the errors of "
    "the ones before.",
    "Random Forest: trains deep trees in parallel on bootstrap samples and averages their votes.",
)


def test_a_name_with_its_last_word_cut_short_still_names_the_thing() -> None:
    # "batch norm" for Batch Normalization, "gradient boost" for Gradient Boosting.
    said = "gradient boost fits every new tree to the residuals"
    assert speaks_of_another(_BOOSTING, _ENSEMBLES, 1, said)
    assert not speaks_of_another(_BOOSTING, _ENSEMBLES, 0, said)
    # Too short a cut names nothing: "gra" is not "gradient".
    assert not speaks_of_another(_BOOSTING, _ENSEMBLES, 1, "random for trees")


def test_a_clause_that_names_nothing_is_about_its_sentences_subject() -> None:
    # "A Type I error is a false positive: you reject a true null" - the clause after the
    # colon is the Type I error's, whatever its words.
    said = "each tree is fitted to the residuals"
    assert speaks_of_another(_BOOSTING, _ENSEMBLES, 1, said, "Gradient boosting is sequential: ")
    assert not speaks_of_another(
        _BOOSTING, _ENSEMBLES, 0, said, "Gradient boosting is sequential: "
    )
    # A thing named late in the sentence is its object, not its subject.
    assert not speaks_of_another(
        _BOOSTING,
        _ENSEMBLES,
        1,
        said,
        "It works a bit like a sequential version of gradient boosting: ",
    )
    # Without a sentence before it, a clause that names nothing is judged against every point.
    assert not speaks_of_another(_BOOSTING, _ENSEMBLES, 1, said)


def test_a_heading_clause_that_names_the_other_thing_later_is_still_the_headings() -> None:
    # "Its goal is to produce soft targets that the student imitates" speaks of the teacher:
    # the student is its object, so producing soft targets is the teacher's, not a swap.
    question = "What do the teacher and the student each do in knowledge distillation?"
    points = (
        "The Teacher: a large trained model. Its goal is to produce soft targets that the "
        "student imitates.",
        "The Student: a small model that outputs predictions and is trained to match the soft "
        "targets.",
    )
    answer = "In the end the teacher is what produces the soft targets for each example."
    assert swapped_roles(question, points, answer) == {}
