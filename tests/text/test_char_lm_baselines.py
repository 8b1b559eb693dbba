"""CHAR_LM_BASELINES: the stored table is what NGramLM gives on the course's corpus."""

import pytest

from course_lib import data
from course_lib.text import CHAR_LM_BASELINES, NGramLM


@pytest.mark.slow
def test_stored_baselines_are_reproduced():
    corpus = data.load_python_docs()
    vocab = sorted(set(corpus.text))
    counts = NGramLM(12, k=1.0).fit(corpus.train, vocab=vocab)
    for name, row in CHAR_LM_BASELINES.items():
        lm = counts.with_order(row["n"])
        if "discount" in row:
            lm = lm.with_smoothing("kneser_ney", discount=row["discount"])
        else:
            lm = lm.with_smoothing(k=row["k"])
        scores = {split: round(lm.bits_per_char(getattr(corpus, split)), 3) for split in ("val", "test")}
        assert scores == {"val": row["val"], "test": row["test"]}, name


def test_the_rows_name_their_model():
    assert set(CHAR_LM_BASELINES) == {"add-1", "add-k", "Kneser-Ney"}
    for row in CHAR_LM_BASELINES.values():
        assert row["val"] > row["test"] > 1 and isinstance(row["n"], int)
