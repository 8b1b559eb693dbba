"""The character n-gram baselines of notebook 01, the bar every neural language model is compared with.

Notebook 01 counts the training text of `course_lib.data.load_python_docs()` once at order 12, reads
every order n = 1..12 with three smoothings (add-1; add-k, k in {1, 0.1, 0.01, 0.001}; Kneser-Ney,
d in {0.75, 0.9, 0.95}), and keeps for each smoothing the order and parameter with the lowest
validation bits per character. This table holds those choices and their scores, rounded to three
decimals: bits per character on the whole validation and test text (`NGramLM.bits_per_char(split)`,
every character of the split predicted, the first from the empty context), vocabulary
`sorted(set(corpus.text))`, V = 103. Later notebooks print these numbers next to their neural models
instead of counting twelve orders again; notebook 01 asserts that it reproduces them.
"""

CHAR_LM_BASELINES = {
    "add-1": {"n": 3, "k": 1.0, "val": 2.731, "test": 2.549},
    "add-k": {"n": 4, "k": 0.01, "val": 2.272, "test": 1.997},
    "Kneser-Ney": {"n": 12, "discount": 0.95, "val": 1.749, "test": 1.439},
}
