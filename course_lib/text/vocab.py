"""A vocabulary: token <-> id, built from token streams by frequency.

Layout of the ids (V = len(vocab)):
    0                 padding, always (named `pad`, "<pad>" by default)
    1                 `unk` ("<unk>") if given: the Keras `oov_token` convention
    next              `bos`, then `eos`, if given
    the rest          corpus tokens by count, descending; ties keep first-occurrence order

The tie-break is exactly Keras's `Tokenizer.fit_on_texts`: it counts into an `OrderedDict` (first
occurrence order) and then calls `list.sort(key=count, reverse=True)`, a stable sort. With `unk=None`
a Vocab built from `text_to_word_sequence` streams reproduces Keras's `word_index` (plus "<pad>" at 0).

    >>> streams = [["i", "love", "neural", "network"], ["you", "love", "neural", "network"]]
    >>> Vocab(streams, unk=None).get_itos()
    ['<pad>', 'love', 'neural', 'network', 'i', 'you']
    >>> Vocab(streams, oov_token="<OOV>").encode(["i", "hate", "rnns"])
    [5, 1, 1]
"""

import json
from collections import Counter
from numbers import Integral

import numpy as np

_FORMAT = "course_lib.text.Vocab"


class _Unset:
    """Marks an argument that was not given (so oov_token=None can mean "no <unk>")."""

    def __repr__(self):
        return "<not given>"


_UNSET = _Unset()


def count_tokens(token_streams):
    """Count tokens in first-occurrence order.

    Args:
        token_streams: an iterable of token sequences ([["i", "love"], ["you"]]), or one flat
            sequence of str tokens (["i", "love", "you"]). A flat item holding whitespace
            ("i love you") is raw text, not a token, and raises ValueError: tokenize it first.
    Returns:
        collections.Counter {token: count}, keys in first-occurrence order.
    """
    counts = Counter()
    kinds = set()
    for position, item in enumerate(token_streams):
        if isinstance(item, str):
            kinds.add("flat")
            if len(item) > 1 and any(c.isspace() for c in item):
                raise ValueError(
                    f"item {position} ({item!r:.40}) looks like raw text, not a token: tokenize it "
                    "first, e.g. [word_tokenize(s) for s in texts], or wrap a token list in a list"
                )
            tokens = [item]
        else:
            kinds.add("nested")
            try:
                tokens = list(item)
            except TypeError:
                raise ValueError(
                    f"expected token sequences, got {type(item).__name__} at position {position}"
                ) from None
        if len(kinds) > 1:
            raise ValueError(f"item {position} mixes str tokens and token sequences in one corpus")
        for token in tokens:
            _check_token(token, "token")
        counts.update(tokens)
    return counts


class Vocab:
    """Token <-> id lookup with reserved special tokens; see the module docstring for the id layout."""

    def __init__(
        self,
        token_streams=(),
        min_freq=1,
        max_size=None,
        pad="<pad>",
        unk="<unk>",
        bos=None,
        eos=None,
        oov_token=_UNSET,
    ):
        """Count tokens and keep the frequent ones.

        Args:
            token_streams: iterable of token sequences (one list of str per sentence), or one
                flat list of str tokens; see count_tokens.
            min_freq: keep tokens seen at least this many times.
            max_size: the largest allowed len(vocab), specials included (like torchtext's
                `max_tokens`, and Keras's `num_words`, which counts the reserved 0); None for no limit.
            pad: name of the padding token, id 0 (always present).
            unk, bos, eos: special token names, or None for "absent"; unk=None means no <unk>,
                and then encoding an unknown token raises KeyError (or is skipped on request).
            oov_token: Keras's name for `unk`; when given it replaces `unk`.
        Specials found in the corpus are not counted as corpus tokens.
        """
        unk = unk if oov_token is _UNSET else oov_token
        specials = self._set_specials(pad, unk, bos, eos)
        if isinstance(min_freq, bool) or not isinstance(min_freq, Integral) or min_freq < 1:
            raise ValueError(f"min_freq must be an integer >= 1, got {min_freq!r}")
        if max_size is not None and (not isinstance(max_size, Integral) or max_size < len(specials)):
            raise ValueError(
                f"max_size must be None or an integer >= {len(specials)} (the specials), got {max_size}"
            )
        counts = count_tokens(token_streams)
        # Counter keeps first-insertion order; sorted() is stable: ties keep first occurrence (Keras).
        ordered = sorted(counts.items(), key=lambda item: item[1], reverse=True)
        tokens = [token for token, count in ordered if count >= min_freq and token not in specials]
        if max_size is not None:
            tokens = tokens[: max_size - len(specials)]
        self._set_tokens(specials + tokens)
        self.counts = dict(counts)

    @classmethod
    def build(cls, token_streams, min_freq=1, max_size=None, pad="<pad>", unk="<unk>", bos=None, eos=None):
        """Same as Vocab(token_streams, ...): count tokens and keep the frequent ones."""
        return cls(token_streams, min_freq, max_size, pad, unk, bos, eos)

    @classmethod
    def from_itos(cls, tokens, pad="<pad>", unk="<unk>", bos=None, eos=None, counts=None):
        """A vocabulary with a given order: ids follow the specials in the order of `tokens`.

        Args:
            tokens: distinct str; specials among them are skipped (so a full itos list works).
            pad, unk, bos, eos: as in Vocab(...). counts: optional {token: count} to keep.
        """
        vocab = cls(pad=pad, unk=unk, bos=bos, eos=eos)
        specials = vocab.get_itos()
        tokens = list(tokens)
        for token in tokens:
            _check_token(token, "token")
        vocab._set_tokens(specials + [token for token in tokens if token not in specials])
        vocab.counts = dict(counts) if counts is not None else {}
        return vocab

    def _set_specials(self, pad, unk, bos, eos):
        if not isinstance(pad, str):
            raise ValueError(f"pad must be a str (id 0 is always reserved), got {pad!r}")
        specials = [name for name in (pad, unk, bos, eos) if name is not None]
        for name in specials:
            _check_token(name, "special token")
        if len(set(specials)) != len(specials):
            raise ValueError(f"special tokens must be distinct, got {specials}")
        self.pad, self.unk, self.bos, self.eos = pad, unk, bos, eos
        return specials

    def _set_tokens(self, itos):
        self._itos = list(itos)
        self._stoi = {token: i for i, token in enumerate(self._itos)}
        if len(self._stoi) != len(self._itos):
            raise ValueError("tokens must be distinct")

    def __len__(self):
        return len(self._itos)

    def __contains__(self, token):
        return token in self._stoi

    def __getitem__(self, token):
        """Id of `token`; the <unk> id for unknown tokens, or KeyError when there is no <unk>."""
        return self.token_to_id(token)

    def __eq__(self, other):
        if not isinstance(other, Vocab):
            return NotImplemented
        return self._itos == other._itos and self.specials == other.specials

    def __repr__(self):
        return f"Vocab(size={len(self)}, specials={self.specials})"

    @property
    def specials(self):
        """Dict of the special token names: pad, unk, bos, eos (None when absent)."""
        return {"pad": self.pad, "unk": self.unk, "bos": self.bos, "eos": self.eos}

    pad_id = property(lambda self: 0, doc="Id of the padding token: always 0.")
    unk_id = property(lambda self: self._stoi.get(self.unk), doc="Id of <unk>, or None.")
    bos_id = property(lambda self: self._stoi.get(self.bos), doc="Id of <bos>, or None.")
    eos_id = property(lambda self: self._stoi.get(self.eos), doc="Id of <eos>, or None.")

    def get_itos(self):
        """List id -> token (a copy), like torchtext's `get_itos`."""
        return list(self._itos)

    def get_stoi(self):
        """Dict token -> id (a copy), like torchtext's `get_stoi` and Keras's `word_index` (plus pad)."""
        return dict(self._stoi)

    def token_to_id(self, token):
        """Id of `token`; unknown tokens map to <unk>, or raise KeyError when unk is None."""
        if token in self._stoi:
            return self._stoi[token]
        if self.unk is None:
            raise KeyError(f"token {token!r} is not in the vocabulary and it has no <unk> token")
        return self._stoi[self.unk]

    def id_to_token(self, index):
        """Token with id `index`; ValueError for a non-integer or out-of-range id."""
        return self._itos[self._check_id(index)]

    def encode(self, tokens, add_special=True, skip_unknown=False):
        """Map tokens to ids.

        Args:
            tokens: sequence of str (one sentence; not a raw string).
            add_special: prepend <bos> / append <eos> when the vocab has them.
            skip_unknown: drop unknown tokens (Keras `texts_to_sequences` without `oov_token`);
                otherwise they map to <unk>, or raise KeyError when there is no <unk>.
        Returns:
            list of int.
        """
        if isinstance(tokens, str):
            raise ValueError(f"encode expects a sequence of tokens, got the str {tokens!r:.40}; tokenize it")
        ids = [self.bos_id] if add_special and self.bos is not None else []
        for token in tokens:
            if skip_unknown and token not in self._stoi:
                continue
            ids.append(self.token_to_id(token))
        if add_special and self.eos is not None:
            ids.append(self.eos_id)
        return ids

    def encode_batch(self, token_streams, add_special=True, skip_unknown=False):
        """`encode` for each sequence: list of lists of int."""
        return [self.encode(tokens, add_special, skip_unknown) for tokens in token_streams]

    def decode(self, ids, skip_special=True):
        """Map ids back to tokens.

        Args:
            ids: sequence of integer ids (a list, or a 1-D integer array).
            skip_special: drop pad, bos and eos ids (<unk> is always kept: it carries information).
        Returns:
            list of str. decode(encode(tokens)) == tokens for in-vocabulary tokens.
        """
        skipped = {self.pad_id, self.bos_id, self.eos_id} if skip_special else set()
        return [self._itos[i] for i in map(self._check_id, ids) if i not in skipped]

    def _check_id(self, index):
        is_integral_float = isinstance(index, (float, np.floating)) and float(index).is_integer()
        if isinstance(index, (bool, np.bool_)) or not (isinstance(index, Integral) or is_integral_float):
            raise ValueError(f"expected an integer id, got {type(index).__name__} {index!r}")
        if not 0 <= index < len(self._itos):
            raise ValueError(f"expected an id in [0, {len(self._itos)}), got {index}")
        return int(index)

    def to_dict(self):
        """JSON-ready dict: the full id -> token list, the specials and the counts."""
        itos = self.get_itos()
        return {"format": _FORMAT, "version": 1, "itos": itos, **self.specials, "counts": self.counts}

    @classmethod
    def from_dict(cls, data):
        """Inverse of `to_dict`."""
        if data.get("format") != _FORMAT:
            raise ValueError(f"expected a dict with format {_FORMAT!r}, got format {data.get('format')!r}")
        specials = {name: data[name] for name in ("pad", "unk", "bos", "eos")}
        vocab = cls.from_itos(data["itos"], counts=data.get("counts"), **specials)
        if vocab.get_itos() != data["itos"]:
            raise ValueError("itos does not start with the specials in the order pad, unk, bos, eos")
        return vocab

    def save(self, path):
        """Write the vocabulary to a UTF-8 JSON file."""
        with open(path, "w", encoding="utf-8") as file:
            json.dump(self.to_dict(), file, ensure_ascii=False, indent=1)

    @classmethod
    def load(cls, path):
        """Read a vocabulary written by `save`."""
        with open(path, encoding="utf-8") as file:
            return cls.from_dict(json.load(file))


def _check_token(token, what):
    if not isinstance(token, str):
        raise ValueError(f"expected each {what} to be a str, got {type(token).__name__} {token!r}")
