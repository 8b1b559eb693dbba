"""NGramLM: proper distributions, hand-computed examples, a from-the-definition reference, sampling."""

import doctest
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.check import forward_tol
from course_lib.text import NGramLM
from course_lib.text import ngram as ngram_module

TOL = forward_tol("float64")  # (rtol, atol): the model and the reference are both float64
TEXT = "abracadabra, a banana bandana; abba cab.\n"
SMOOTHINGS = [
    ("add_k", {"k": 1.0}),
    ("add_k", {"k": 0.1}),
    ("add_k", {"k": 0.0}),
    ("kneser_ney", {"discount": 0.75}),
    ("kneser_ney", {"discount": 1.0}),
]
SMOOTHING_IDS = ["laplace", "add-0.1", "mle", "kn-0.75", "kn-1"]


def contexts(text, n, unseen=""):
    """Every substring of `text` shorter than n (the seen contexts), plus unseen ones made of `unseen`."""
    seen = {text[i : i + m] for m in range(n) for i in range(len(text) - m + 1)}
    return sorted(seen | {c * (n - 1) for c in unseen})


# --- a slow reference written straight from the formulas, counting substrings by scanning ----------


def count(text, s):
    """Overlapping occurrences of s in text."""
    return sum(text.startswith(s, i) for i in range(len(text) - len(s) + 1))


def continuation(text, s):
    """N1+(• s): distinct characters seen immediately before s."""
    return len({text[i - 1] for i in range(1, len(text) - len(s) + 1) if text.startswith(s, i)})


def reference_kn(text, vocab, context, w, d, top=True):
    V = len(vocab)
    lower = 1.0 / V if not context else reference_kn(text, vocab, context[1:], w, d, top=False)
    c = (lambda s: count(text, s)) if top else (lambda s: continuation(text, s))
    total = sum(c(context + v) for v in vocab)
    if total == 0:
        return lower
    seen = sum(c(context + v) > 0 for v in vocab)
    return max(c(context + w) - d, 0) / total + d * seen / total * lower


def reference_add_k(text, vocab, context, w, k):
    V = len(vocab)
    total = sum(count(text, context + v) for v in vocab)
    if total == 0:
        return 1.0 / V
    return (count(text, context + w) + k) / (total + k * V)


# --- tests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("smoothing, kwargs", SMOOTHINGS, ids=SMOOTHING_IDS)
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_distribution_sums_to_one_for_every_context(n, smoothing, kwargs):
    lm = NGramLM(n, smoothing=smoothing, **kwargs).fit(TEXT, vocab=TEXT + "qz")
    for context in contexts(TEXT, n, unseen="qz"):
        p = lm.distribution(context)
        assert p.shape == (len(lm.vocab),) and p.dtype == np.float64
        assert np.all(p >= 0), context
        assert math.isclose(p.sum(), 1.0, rel_tol=0, abs_tol=1e-12), (context, p.sum())


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("d", [0.5, 0.75, 1.0])
def test_kneser_ney_matches_the_definition(n, d):
    vocab = sorted(set(TEXT))
    lm = NGramLM(n, smoothing="kneser_ney", discount=d).fit(TEXT)
    for context in contexts(TEXT, n):
        expected = [reference_kn(TEXT, vocab, context, w, d) for w in vocab]
        np.testing.assert_allclose(lm.distribution(context), expected, *TOL, err_msg=repr(context))


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("k", [0.0, 0.5, 1.0])
def test_add_k_matches_the_definition(n, k):
    vocab = sorted(set(TEXT))
    lm = NGramLM(n, k=k).fit(TEXT)
    for context in contexts(TEXT, n):
        expected = [reference_add_k(TEXT, vocab, context, w, k) for w in vocab]
        np.testing.assert_allclose(lm.distribution(context), expected, *TOL, err_msg=repr(context))


def test_hand_computed_laplace_bigram():
    # Train "aab": bigrams aa, ab; unigrams a, a, b. V = 2.
    lm = NGramLM(2, k=1.0).fit("aab")
    assert lm.prob("b", "a") == pytest.approx((1 + 1) / (2 + 2))  # c(ab) = 1, c(a•) = 2
    assert lm.prob("a", "b") == pytest.approx(0.5)  # "b" is never followed by anything: uniform
    assert lm.prob("a") == pytest.approx((2 + 1) / (3 + 2))  # no context: the unigram estimate
    # The chain rule: P("ab") = P(a) P(b | a).
    assert lm.log_prob("ab") == pytest.approx(math.log(0.6) + math.log(0.5), abs=1e-15)


def test_hand_computed_kneser_ney_uses_continuation_counts():
    # Train "aab", d = 0.5. Raw unigram counts a:2, b:1; continuation counts (distinct left
    # neighbours, from bigrams aa and ab) a:1, b:1.
    lm = NGramLM(2, smoothing="kneser_ney", discount=0.5).fit("aab")
    p_low = 0.5 / 2 + 0.5 * 2 / 2 * 0.5  # = 0.5 for both a and b: continuation counts are equal
    # Context "b" was never followed: everything comes from the continuation level.
    assert lm.prob("a", "b") == pytest.approx(p_low)
    # Context "a": raw counts a:1, b:1, two seen types.
    assert lm.prob("b", "a") == pytest.approx(0.5 / 2 + 0.5 * 2 / 2 * p_low)
    # No context (start of a text): the top order is the unigram, with RAW counts a:2, b:1.
    assert lm.prob("a") == pytest.approx(1.5 / 3 + 0.5 * 2 / 3 * 0.5)


def test_mle_gives_relative_frequencies_and_zero_to_unseen():
    lm = NGramLM(2, k=0.0).fit("abab")
    assert lm.prob("b", "a") == 1.0 and lm.prob("a", "a") == 0.0
    assert lm.log_prob("aa") == -math.inf
    assert lm.bits_per_char("aa") == math.inf


@pytest.mark.parametrize("smoothing", ["add_k", "kneser_ney"])
@pytest.mark.parametrize("n", [1, 3])
def test_uniform_model_scores_log2_v(n, smoothing):
    # Fitted on no text, every context is unseen and the model is uniform over V = 5 characters.
    lm = NGramLM(n, smoothing=smoothing).fit("", vocab="abcde")
    np.testing.assert_allclose(lm.distribution("ab"), np.full(5, 0.2), rtol=1e-15)
    assert lm.bits_per_char("abcdeeedcba") == pytest.approx(math.log2(5), rel=1e-14)


def test_huge_k_tends_to_uniform():
    lm = NGramLM(3, k=1e12).fit(TEXT)
    assert lm.bits_per_char(TEXT) == pytest.approx(math.log2(len(lm.vocab)), rel=1e-9)


def test_bits_per_char_is_the_chain_rule():
    lm = NGramLM(3, smoothing="kneser_ney").fit(TEXT)
    a, b = "abra", "cadabra"
    assert lm.log_prob(a + b) == pytest.approx(lm.log_prob(a) + lm.log_prob(b, context=a), abs=1e-12)
    by_hand = sum(math.log(lm.prob((a + b)[t], (a + b)[:t])) for t in range(len(a + b)))
    assert lm.log_prob(a + b) == pytest.approx(by_hand, abs=1e-12)
    assert lm.bits_per_char(a + b) == pytest.approx(-by_hand / (len(a + b) * math.log(2)), abs=1e-12)


def test_only_the_last_n_minus_1_characters_matter():
    lm = NGramLM(3, smoothing="kneser_ney").fit(TEXT)
    np.testing.assert_array_equal(lm.distribution("xxabr".replace("x", "a")), lm.distribution("br"))


def test_higher_order_fits_training_text_better():
    bpc = [NGramLM(n, k=0.01).fit(TEXT).bits_per_char(TEXT) for n in (1, 2, 3, 4)]
    assert bpc == sorted(bpc, reverse=True)


def test_with_smoothing_shares_counts_and_equals_a_fresh_fit():
    lm = NGramLM(3, k=1.0).fit(TEXT)
    kn = lm.with_smoothing("kneser_ney", discount=0.6)
    fresh = NGramLM(3, smoothing="kneser_ney", discount=0.6).fit(TEXT)
    assert kn.counts is lm.counts
    np.testing.assert_array_equal(kn.distribution("ab"), fresh.distribution("ab"))
    assert lm.smoothing == "add_k"  # the original is unchanged


def test_sample_is_reproducible_and_keeps_the_prompt():
    lm = NGramLM(3, smoothing="kneser_ney").fit(TEXT)
    first = lm.sample(50, np.random.default_rng(1), prompt="ab")
    assert first == lm.sample(50, np.random.default_rng(1), prompt="ab")
    assert first.startswith("ab") and len(first) == 52 and set(first) <= set(lm.vocab)


def test_sample_follows_a_deterministic_text():
    lm = NGramLM(2, k=0.0).fit("abcabcabc")
    assert lm.sample(7, np.random.default_rng(0), prompt="a") == "abcabcab"


def test_sample_frequencies_match_the_distribution(rng):
    lm = NGramLM(1, k=0.0).fit("aaab")
    draws = lm.sample(4000, rng)
    assert draws.count("a") / 4000 == pytest.approx(0.75, abs=0.03)


def test_mutating_a_returned_distribution_does_not_change_the_model():
    lm = NGramLM(2).fit(TEXT)
    p = lm.distribution("a")
    p[:] = 0
    assert lm.distribution("a").sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 0}, "n must"),
        ({"n": 2.0}, "n must"),
        ({"n": 2, "k": -1}, "k must"),
        ({"n": 2, "smoothing": "witten_bell"}, "smoothing must"),
        ({"n": 2, "discount": 0.0}, "discount"),
        ({"n": 2, "discount": 1.5}, "discount"),
    ],
)
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NGramLM(**kwargs)


def test_errors_name_the_problem():
    with pytest.raises(RuntimeError, match="not fitted"):
        NGramLM(2).bits_per_char("ab")
    lm = NGramLM(2).fit("abc")
    with pytest.raises(ValueError, match="outside the model's vocabulary: 'xy'"):
        lm.bits_per_char("axy")
    with pytest.raises(ValueError, match="outside"):
        NGramLM(2).fit("abc", vocab="ab")
    with pytest.raises(ValueError, match="empty"):
        lm.bits_per_char("")
    with pytest.raises(ValueError, match="one character"):
        lm.prob("ab")
    with pytest.raises(ValueError, match="length"):
        lm.sample(-1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="must be a str"):
        lm.log_prob(["a", "b"])


def test_docstring_example():
    assert doctest.testmod(ngram_module, raise_on_error=False).failed == 0


@settings(deadline=None, max_examples=40)
@given(
    text=st.text(alphabet="abc \n", max_size=40),
    n=st.integers(1, 4),
    smoothing=st.sampled_from(["add_k", "kneser_ney"]),
    context=st.text(alphabet="abc \n", max_size=5),
)
def test_any_fit_gives_distributions(text, n, smoothing, context):
    lm = NGramLM(n, k=0.5, smoothing=smoothing, discount=0.8).fit(text, vocab="abc \n")
    p = lm.distribution(context)
    assert np.all(p >= 0) and math.isclose(p.sum(), 1.0, abs_tol=1e-12)


@pytest.mark.parametrize("smoothing, kwargs", SMOOTHINGS, ids=SMOOTHING_IDS)
def test_with_order_equals_a_fresh_fit_of_that_order(smoothing, kwargs):
    high = NGramLM(5, smoothing=smoothing, **kwargs).fit(TEXT, vocab=TEXT + "z")
    for n in range(1, 6):
        fresh = NGramLM(n, smoothing=smoothing, **kwargs).fit(TEXT, vocab=TEXT + "z")
        view = high.with_order(n)
        assert view.n == n and view.counts[0] is high.counts[0]
        for context in contexts(TEXT, n, unseen="z"):
            np.testing.assert_array_equal(view.distribution(context), fresh.distribution(context))
        assert view.bits_per_char(TEXT) == fresh.bits_per_char(TEXT)


def test_with_order_rejects_orders_it_did_not_count():
    lm = NGramLM(3).fit(TEXT)
    for n in (0, 4, 2.0, True):
        with pytest.raises(ValueError, match="n must be an integer in 1..3"):
            lm.with_order(n)
    with pytest.raises(RuntimeError, match="not fitted"):
        NGramLM(3).with_order(2)
