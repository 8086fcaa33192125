"""How a right answer's negations, opposites and names are read against a key point
(`embedding-1.14`): each case is a right answer that 1.13 called a contradiction, beside a
wrong one that is still caught."""

from __future__ import annotations

from app.grading.contradiction import contradiction
from app.grading.role_swap import speaks_of_another, swapped_roles

EXTRA_NOT = "says a 'not' the reference does not have"


def test_a_not_reaches_no_further_than_its_clause() -> None:
    # A node that "fails" is no negation; "fails to converge" still is.
    replication = (
        "Replication: Each shard has copies on several nodes, so reads keep being served and "
        "throughput grows with the replicas."
    )
    said = (
        "Replication keeps copies of each shard on several nodes, so reads are served if a "
        "node fails and throughput grows with the replicas."
    )
    assert contradiction(replication, said) is None
    convergence = "Convergence: Gradient descent converges when the learning rate is small enough."
    diverges = "Gradient descent fails to converge when the learning rate is small enough."
    assert contradiction(convergence, diverges) == EXTRA_NOT
    # "can't be compared unless you measure bits per byte" denies comparing, not measuring.
    limits = (
        "The Limits: It depends on the tokenizer, so it is not comparable across models with "
        "different tokenizers unless normalised to bits per byte."
    )
    agreeing = (
        "it depends on how the text is split, so two models with different tokenizers can't be "
        "compared unless you measure bits per byte"
    )
    assert contradiction(limits, agreeing) is None
    # "not ... too many" warns of an excess the point warns of too.
    tools = (
        "Reliability: The model can pick the wrong tool or produce invalid JSON; clear tool "
        "descriptions matter a lot; and offering too many tools at once lowers selection "
        "accuracy."
    )
    advice = (
        "Reliability-wise the model can give invalid JSON, so I'd use clear descriptions, and "
        "probably not offer too many tools at once."
    )
    assert contradiction(tools, advice) is None
    # "isn't the same thing as" says two things differ, and denies nothing of either.
    mask = "The Causal Mask: It is combined with the padding mask in a decoder."
    differs = "The causal mask isn't the same thing as the padding mask in a decoder."
    assert contradiction(mask, differs) is None
    # "unlike k-means, a mixture model isn't limited to ...": the "not" is the mixture's.
    kmeans = (
        "Relation to k-Means: k-means is a limiting case of a mixture model with spherical "
        "clusters."
    )
    unlike = (
        "k-means is the hard special case, and unlike k-means a mixture model isn't limited "
        "to spherical clusters."
    )
    assert contradiction(kmeans, unlike) is None
    # "compared with step decay there are no abrupt drops" says it of the other schedule.
    compared = (
        "Compared with Step Decay: Step decay cuts the learning rate by a fixed factor at "
        "chosen epochs, which is abrupt and needs the drop points tuned. Cosine decay is "
        "smooth and only needs the peak, the minimum and the total length."
    )
    cosine = "Compared with step decay there are no abrupt drops to tune, just peak and length."
    assert contradiction(compared, cosine) is None
    step = (
        "Step Decay: Step decay cuts the learning rate by a fixed factor at chosen epochs, "
        "which is abrupt and needs the drop points tuned."
    )
    assert contradiction(step, "Step decay has no abrupt drops to tune.") == EXTRA_NOT


def test_a_denial_in_other_words_agrees_with_the_point() -> None:
    # "nobody asked for" says what "the user never asked for" does.
    risk = "The Risk: The agent may send emails the user never asked for."
    assert contradiction(risk, "The agent may send emails nobody asked for.") is None
    asked = "The Risk: The agent may send emails the user asked for."
    assert contradiction(asked, "The agent may send emails nobody asked for.") == EXTRA_NOT
    # "rather than retraining" is the point's "not retraining".
    rollback = (
        "Rollback: Rolling back means repointing the alias to the previous version, not "
        "retraining the model."
    )
    rather = (
        "Rolling back means repointing the alias to the previous version rather than "
        "retraining the model."
    )
    assert contradiction(rollback, rather) is None
    # "not latest" denies only what the point sets aside ("rather than a moving alias like
    # latest").
    pinning = (
        "Pinning: Pin an exact model snapshot in the config rather than a moving alias like latest."
    )
    assert contradiction(pinning, "Pin an exact model snapshot in the config, not latest.") is None
    # "avoids checkerboard artifacts" says there are none, as "no checkerboard artifacts" does;
    # a "not" on what the point does say is still a contradiction.
    resize = (
        "Resize-Convolution: Interpolating first and then convolving treats every pixel alike, "
        "so it avoids checkerboard artifacts."
    )
    none = (
        "Interpolating first and then convolving treats every pixel alike, so there are no "
        "checkerboard artifacts."
    )
    assert contradiction(resize, none) is None
    unlike = "Interpolating first and then convolving does not treat every pixel alike."
    assert contradiction(resize, unlike) == EXTRA_NOT
    # "fail to reject a false null" denies the rejecting the point denies, whatever its object.
    type_two = (
        "Type II Error (False Negative): Failing to reject the null hypothesis when it is false, "
        "that is, missing an effect that really exists."
    )
    same = "you fail to reject a false null, so you miss a real effect."
    assert contradiction(type_two, same) is None


def test_an_opposite_the_point_says_itself_is_no_flip() -> None:
    # The point speaks of positive semi-definite matrices and of negative eigenvalues: an
    # answer that says "positive" says what the point says.
    connection = (
        "The Connection: The singular values are the square roots of the eigenvalues of A^T A. "
        "For a symmetric positive semi-definite matrix the two decompositions coincide; for a "
        "symmetric matrix with negative eigenvalues the singular values are their absolute "
        "values."
    )
    said = (
        "the singular values are the square roots of those eigenvalues, so for a symmetric "
        "positive semi-definite matrix they're the same thing."
    )
    assert contradiction(connection, said) is None
    # "rather than the global structure" sets "global" aside: "local" agrees.
    both = "Both: Both methods keep neighbourhoods rather than the global structure of the data."
    assert contradiction(both, "Both methods keep the local neighbourhoods of the data.") is None
    local = "Both: Both methods keep local neighbourhoods of the data."
    flipped = "Both methods keep the global neighbourhoods of the data."
    assert contradiction(local, flipped) == "says 'global' for 'local'"


def test_names_are_read_as_the_question_and_the_headings_mean_them() -> None:
    # "The GRU" heads the GRU's point: its own words said of it are no swap, the LSTM's are;
    # and "the one with" is a pronoun, not the number 1 of "one minus z".
    question = "How does a GRU differ from an LSTM?"
    points = (
        "The LSTM: It keeps a cell state and a hidden state and has three gates, with a "
        "separate output gate.",
        "The GRU: It merges the cell and hidden state into one state and has two gates; the "
        "update gate mixes one minus z of the old state with z of the candidate.",
        "The Choice: A GRU is a good choice when compute is limited; an LSTM is a safe default "
        "for long dependencies.",
    )
    merges = "A GRU merges the cell and hidden state and uses two gates."
    assert swapped_roles(question, points, merges) == {}
    keeps = "The GRU keeps a separate cell state and a hidden state, with three gates."
    assert swapped_roles(question, points, keeps) == {
        1: "The GRU keeps a separate cell state and a hidden state"
    }
    one = "The LSTM is the one with the cell state and the hidden state."
    assert swapped_roles(question, points, one) == {}
    # "learning-rate warmup" is one name: warmup and the learning rate are no rivals.
    warmup = "Why do we use learning-rate warmup, and how does a cosine decay schedule work?"
    schedule = (
        "Warmup: The learning rate starts near zero and rises to its peak over the first few "
        "thousand steps.",
        "The Catch: Cosine decay needs the total number of steps in advance; warmup-stable-"
        "decay schedules hold the rate constant and decay only at the end.",
    )
    hedged = "I think warmup is mostly about stability at the start."
    assert swapped_roles(warmup, schedule, hedged) == {}
    # What a "learnable" layer is able to do is what it does: "learns" is its own word.
    upsampling = (
        "How does a transposed convolution differ from upsampling followed by a convolution?"
    )
    layers = (
        "Transposed Convolution: a learnable layer that scatters each input pixel into a larger "
        "output map.",
        "Upsampling plus Convolution: a fixed interpolation enlarges the map, then a convolution "
        "learns to refine it.",
    )
    learns = (
        "I think the key difference is that a transposed convolution learns the upsampling itself."
    )
    assert swapped_roles(upsampling, layers, learns) == {}
    fixed = "A transposed convolution uses a fixed interpolation that enlarges the map."
    assert swapped_roles(upsampling, layers, fixed) == {0: fixed.rstrip(".")}


def test_one_word_for_a_part_names_the_part_put_another_way() -> None:
    # "the depthwise part" is "The Depthwise Step": what follows it is about that step, not
    # evidence against the standard convolution's channel mixing.
    question = "What is a depthwise separable convolution, and why does it save computation?"
    points = (
        "Standard Convolution: every output channel has a filter over all the input channels, "
        "so one layer filters spatially and mixes channels at once.",
        "The Depthwise Step: one filter per input channel, applied to that channel only, with "
        "no mixing across channels.",
        "The Pointwise Step: a 1 by 1 convolution then mixes the channels.",
    )
    span = "one filter per input channel, just on that channel, no mixing"
    assert contradiction(points[0], span) == EXTRA_NOT
    assert speaks_of_another(question, points, 0, span, "First the depthwise part: ")
    assert not speaks_of_another(question, points, 1, span, "First the depthwise part: ")
    # A word that names no part ("the depthwise trick") names no step.
    assert not speaks_of_another(question, points, 0, span, "First the depthwise trick: ")


def test_it_after_a_named_thing_in_the_same_sentence_is_that_thing() -> None:
    # "Bagging is the sequential kind: it trains models one after another" says boosting's
    # claim of bagging; a new sentence's "It" is left alone (it may be the question's subject).
    question = "How do bagging and boosting differ?"
    points = (
        "Bagging: trains models independently in parallel on bootstrap samples and averages "
        "them, which reduces variance.",
        "Boosting: trains models one after another, each correcting the errors of the last, "
        "which reduces bias.",
    )
    swapped = (
        "Bagging is the sequential kind: it trains models one after another, each correcting "
        "the errors of the last."
    )
    assert swapped_roles(question, points, swapped) == {0: "it trains models one after another"}
    right = swapped.replace("Bagging", "Boosting")
    assert swapped_roles(question, points, right) == {}


def test_a_heading_keeps_its_article_unless_the_question_names_it_without() -> None:
    # "The Fixed-Size State" is a description, not a name the question uses: "a fixed-size
    # state" in an answer does not name it, so it is no rival of the recurrence's heading.
    # ("The GRU" above loses its article: the question asks about "a GRU".)
    question = (
        "How do state-space models such as Mamba differ from Transformers for sequence modelling?"
    )
    points = (
        "The State-Space Recurrence: At each step the state is updated as h_t = A h_{t-1} + "
        "B x_t and read out as y_t = C h_t; earlier SSMs used fixed A, B and C.",
        "The Fixed-Size State: Because the state has a fixed size, generating each new token "
        "costs constant time and memory whatever the context length.",
    )
    said = "An SSM squashes the history into a fixed-size state and updates it step by step."
    assert swapped_roles(question, points, said) == {}


def test_what_follows_a_colon_is_said_of_the_thing_before_it() -> None:
    question = "What is the difference between batch and real-time inference?"
    points = (
        "Batch Inference: A scheduled job scores every user or item overnight and writes the "
        "predictions to a key-value store; it favours throughput and cheap hardware.",
        "Real-Time Inference: Each request is scored the moment it arrives with fresh features, "
        "so latency per request is what matters.",
    )
    swapped = (
        "Real-time inference is the throughput one: a scheduled job scores every user "
        "overnight and writes the predictions to a store."
    )
    assert swapped_roles(question, points, swapped) == {
        1: "a scheduled job scores every user overnight and writes the predictions to a store"
    }
    right = swapped.replace("Real-time", "Batch")
    assert swapped_roles(question, points, right) == {}


def test_a_not_that_waits_for_a_condition_neither_denies_nor_asserts() -> None:
    # `embedding-1.16`. "do not X until Y" says when to X: an answer saying when agrees.
    checkpoint = (
        "Checkpointing: You do not write a checkpoint until the validation loss has improved."
    )
    when = "you write a checkpoint only once the validation loss has improved"
    assert contradiction(checkpoint, when) is None
    # "can't X without Y" says that X brings Y, as the point does.
    dropout = "Dropout: Removing dropout makes a large network overfit the training set quickly."
    follows = (
        "you can't remove dropout from a large network without it overfitting the training set"
    )
    assert contradiction(dropout, follows) is None
    denied = "removing dropout never makes a large network overfit the training set"
    assert contradiction(dropout, denied) == EXTRA_NOT


def test_a_not_after_a_comma_sets_an_alternative_aside() -> None:
    # "counted in optimizer updates, not in micro-batches" is "rather than in micro-batches":
    # an answer that speaks of micro-batches in another role has not dropped the "not".
    units = "Schedules: The warmup is counted in optimizer updates, not in micro-batches."
    agreeing = "the warmup is counted in optimizer updates, each of which is several micro-batches"
    assert contradiction(units, agreeing) is None
    swapped = "the warmup is counted in micro-batches, not in optimizer updates"
    assert contradiction(units, swapped) == EXTRA_NOT
    # Saying Y without X still drops the point's "not".
    missing_not = "says no 'not' where the reference has one"
    in_batches = "the warmup is counted in micro-batches, each of which is one forward pass"
    assert contradiction(units, in_batches) == missing_not
    coverage = (
        "Guarantee: Coverage holds on average over test points, not for every input or subgroup."
    )
    everywhere = (
        "the coverage is also conditional, every input gets its full 90 percent, so subgroups "
        "are fine"
    )
    assert contradiction(coverage, everywhere) == missing_not


def test_barely_and_hardly_deny_as_not_does() -> None:
    weak = (
        "Weak Covariates: For metrics the covariate barely predicts, the variance reduction is "
        "small."
    )
    agreeing = "if the covariate isn't predictive of the metric, the variance reduction is small"
    assert contradiction(weak, agreeing) is None
    strong = (
        "Strong Covariates: The covariate predicts the metric well, so the variance reduction is "
        "large."
    )
    denying = "the covariate hardly predicts the metric, so the variance reduction is large"
    assert contradiction(strong, denying) == EXTRA_NOT


def test_a_hyphened_compound_is_one_word_of_a_nots_reach() -> None:
    # "no pre-signup features" denies the features too, as the answer does.
    cold = (
        "Cold Start: New accounts have no pre-signup features, so a common fix is a popularity "
        "prior."
    )
    agreeing = "new accounts have no features yet, so you fall back to a popularity prior"
    assert contradiction(cold, agreeing) is None
    denying = "new accounts have plenty of features, so you never need a popularity prior"
    assert contradiction(cold, denying) == EXTRA_NOT


def test_a_number_said_in_words_names_what_its_digits_name() -> None:
    # `embedding-1.16`: a spoken (or transcribed) "phase one" is "Phase 1".
    question = (
        "How does the two-phase commit protocol reach an atomic decision across participants?"
    )
    points = (
        "Phase 1: The coordinator sends a prepare request and every participant votes yes or no "
        "after writing its changes to a durable log.",
        "Phase 2: The coordinator broadcasts the outcome, commit if every vote was yes and abort "
        "otherwise, and participants release their locks.",
    )
    swapped = (
        "In phase one the coordinator broadcasts the outcome and participants release their locks."
    )
    assert swapped_roles(question, points, swapped) == {0: swapped.rstrip(".")}
    right = "In phase one every participant votes after writing its changes to a durable log."
    assert swapped_roles(question, points, right) == {}
