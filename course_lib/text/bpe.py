"""A small byte-level byte-pair-encoding (BPE) tokenizer: the bridge to GPT-style tokenizers.

Text is UTF-8 bytes, so ids 0..255 are the 256 bytes and there is no out-of-vocabulary input.
Training repeats: count adjacent id pairs over the corpus, merge the most frequent pair into a new
id (256, 257, ...). Encoding applies the learned merges in the order they were learned.

As in GPT-2, the text is first cut into chunks by a regular expression (words with their leading
space, numbers, punctuation runs, whitespace) and merges never cross a chunk boundary, so " dog"
can become one token but "dog." cannot. The chunks always concatenate back to the text, which makes
decode(encode(text)) == text for every str (without lone surrogates, which UTF-8 cannot encode).

Deterministic tie-break: among equally frequent pairs, the smallest pair (first id, then second)
is merged first.
"""

import json
import operator
import re
from collections import Counter
from itertools import pairwise
from numbers import Integral

# Letters (\w minus digits and "_"), digits, other non-space symbols (with "_"), then whitespace;
# "\s+(?!\S)" leaves the last space of a run to join the next word, as GPT-2's pattern does.
SPLIT_PATTERN = r"'(?:s|t|re|ve|m|ll|d)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"


def _merge(ids, pair, new_id):
    """Replace every non-overlapping occurrence of `pair` in `ids` (left to right) by `new_id`."""
    merged, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            merged.append(new_id)
            i += 2
        else:
            merged.append(ids[i])
            i += 1
    return merged


def _chunk_counts(corpus, pattern):
    texts = [corpus] if isinstance(corpus, str) else corpus
    counts = Counter()
    for text in texts:
        if not isinstance(text, str):
            raise ValueError(f"expected the corpus as a str or an iterable of str, got {type(text).__name__}")
        counts.update(re.findall(pattern, text))
    return counts


def train_bpe(corpus, vocab_size, pattern=SPLIT_PATTERN):
    """Learn byte-pair merges.

    Args:
        corpus: a str or an iterable of str. vocab_size: final vocabulary size, >= 256.
        pattern: regular expression that cuts text into chunks merges stay inside.
    Returns:
        merges: list of (left id, right id) pairs; merge i creates id 256 + i. Fewer than
        vocab_size - 256 when the corpus runs out of pairs (every chunk is a single token).
    """
    if not isinstance(vocab_size, Integral) or vocab_size < 256:
        raise ValueError(f"vocab_size must be an integer >= 256 (the byte alphabet), got {vocab_size!r}")
    chunk_counts = _chunk_counts(corpus, pattern)
    words = [list(chunk.encode("utf-8")) for chunk in chunk_counts]
    frequencies = list(chunk_counts.values())
    merges = []
    for new_id in range(256, vocab_size):
        pair_counts = Counter()
        for ids, frequency in zip(words, frequencies, strict=True):
            for pair in pairwise(ids):
                pair_counts[pair] += frequency
        if not pair_counts:
            break
        best = min(pair_counts, key=lambda pair: (-pair_counts[pair], pair))
        merges.append(best)
        words = [_merge(ids, best, new_id) for ids in words]
    return merges


class BPETokenizer:
    """Byte-level BPE: `train(corpus, vocab_size) -> merges`, then `encode(text)` / `decode(ids)`."""

    def __init__(self, merges=(), pattern=SPLIT_PATTERN):
        """Args: merges: (left, right) id pairs, merge i making id 256 + i. pattern: the chunk regex."""
        self.pattern = pattern
        self._set_merges(merges)

    def _set_merges(self, merges):
        self.merges = [(int(left), int(right)) for left, right in merges]
        self._ranks = {pair: 256 + i for i, pair in enumerate(self.merges)}
        self.vocab = {i: bytes([i]) for i in range(256)}  # id -> bytes
        for new_id, (left, right) in enumerate(self.merges, start=256):
            if left >= new_id or right >= new_id:
                raise ValueError(f"merge {new_id - 256} uses id {max(left, right)}, not yet defined")
            self.vocab[new_id] = self.vocab[left] + self.vocab[right]
        self._cache = {}

    @property
    def vocab_size(self):
        """256 bytes plus one id per merge."""
        return len(self.vocab)

    def train(self, corpus, vocab_size):
        """Learn merges from `corpus` (see train_bpe), keep them, and return them."""
        self._set_merges(train_bpe(corpus, vocab_size, self.pattern))
        return list(self.merges)

    def _encode_chunk(self, chunk):
        if chunk not in self._cache:
            ids = list(chunk.encode("utf-8"))
            while len(ids) > 1:
                # The earliest-learned merge present in the chunk goes first, as in training.
                pair = min(pairwise(ids), key=lambda p: self._ranks.get(p, float("inf")))
                if pair not in self._ranks:
                    break
                ids = _merge(ids, pair, self._ranks[pair])
            self._cache[chunk] = ids
        return self._cache[chunk]

    def encode(self, text):
        """str -> list of ids in [0, vocab_size)."""
        if not isinstance(text, str):
            raise ValueError(f"expected text as a str, got {type(text).__name__}")
        return [i for chunk in re.findall(self.pattern, text) for i in self._encode_chunk(chunk)]

    def decode(self, ids):
        """list of ids -> str; byte sequences that are not valid UTF-8 become U+FFFD."""
        return b"".join(self.vocab[self._check_id(i)] for i in ids).decode("utf-8", errors="replace")

    def token_strings(self, ids):
        """Each id's bytes shown as text (for looking at a tokenization), e.g. ['The', ' cat']."""
        return [self.vocab[self._check_id(i)].decode("utf-8", errors="replace") for i in ids]

    def _check_id(self, index):
        if isinstance(index, bool) or not hasattr(index, "__index__"):
            raise ValueError(f"expected an integer id, got {type(index).__name__} {index!r}")
        if not 0 <= index < len(self.vocab):
            raise ValueError(f"expected an id in [0, {len(self.vocab)}), got {index}")
        return operator.index(index)

    def save(self, path):
        """Write the merges and pattern to a JSON file."""
        with open(path, "w", encoding="utf-8") as file:
            json.dump({"pattern": self.pattern, "merges": self.merges}, file)

    @classmethod
    def load(cls, path):
        """Read a tokenizer written by `save`."""
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
        return cls(data["merges"], data["pattern"])
