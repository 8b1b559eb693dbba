"""Padding variable-length sequences into one array, and the way back: lengths, masks, unpad.

`pad_sequences` has the signature and semantics of `keras.utils.pad_sequences` (pre-padding and
pre-truncating by default), with four deliberate differences, all of which raise where Keras would
silently do something surprising or crash with an obscure message:
- Floats that are not integral (1.5, nan) with an integer dtype raise ValueError (Keras casts, 1.5 -> 1),
  and so do integers that do not fit the dtype (Keras wraps 300 -> 44 for int8).
- `padding`, `truncating` and `maxlen` are validated up front, even when no sequence needs them.
- maxlen=0 gives shape (N, 0) (Keras crashes: s[-0:] keeps the whole sequence).
- An empty list of sequences gives shape (0, maxlen or 0) (Keras fails on max of an empty list).
A str `value` with a dtype other than object or a unicode string dtype raises Keras's ValueError,
word for word ("`dtype` int32 is not compatible with `value`'s type: <class 'str'>" and a hint).
One more difference goes the other way: dtype="object" written as a string is accepted with a str
`value` (Keras compares the argument itself with the type `object`, so only dtype=object passes).
"""

from numbers import Integral

import numpy as np

_SIDES = ("pre", "post")


def _check_side(name, side):
    if side not in _SIDES:
        raise ValueError(f'{name} must be "pre" or "post", got {side!r}')


def _as_sequence_array(sequence, index):
    """One sequence as an array (L, *sample_shape); ValueError for scalars and ragged elements."""
    if isinstance(sequence, (str, bytes)) or not hasattr(sequence, "__len__"):
        raise ValueError(
            f"`sequences` must be a list of sequences (lists or arrays); element {index} is "
            f"{type(sequence).__name__} {sequence!r:.40}"
        )
    try:
        return np.asarray(sequence)
    except ValueError as error:
        raise ValueError(f"sequence {index} is ragged (elements of different shapes): {error}") from None


def _cast_exactly(array, dtype, what):
    """Cast to `dtype`, raising instead of rounding floats or wrapping integers."""
    if np.issubdtype(dtype, np.integer) and array.size:
        if array.dtype.kind == "f" and not np.all(np.isfinite(array) & (array == np.round(array))):
            bad = array[~(np.isfinite(array) & (array == np.round(array)))][0]
            raise ValueError(f"expected integer values for dtype {dtype}, got {bad!r} in {what}")
        if array.dtype.kind not in "biuf":
            raise ValueError(f"expected numbers for dtype {dtype}, got dtype {array.dtype} in {what}")
        info = np.iinfo(dtype)
        if array.min() < info.min or array.max() > info.max:
            raise ValueError(f"values in {what} do not fit {dtype} [{info.min}, {info.max}]")
    return array.astype(dtype)


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0):
    """Pad (and truncate) sequences to a common length, exactly as keras.utils.pad_sequences.

    Args:
        sequences: list of N sequences; each a list or array of length L_i whose elements are
            scalars or arrays of one common sample shape S (e.g. feature vectors).
        maxlen: output length T; None means max L_i (0 if there are no sequences).
        dtype: output dtype ("int32" like Keras; object or a string dtype for str tokens).
        padding: "pre" puts `value` before each sequence, "post" after it.
        truncating: "pre" drops the first L_i - T elements of a long sequence, "post" the last ones.
        value: the padding value.
    Returns:
        array (N, T, *S) of `dtype`. Row i ends (padding="pre") or starts ("post") with the kept part
        of sequence i; empty sequences give all-`value` rows.
    """
    _check_options(sequences, maxlen, padding, truncating)
    arrays = [_as_sequence_array(sequence, i) for i, sequence in enumerate(sequences)]
    lengths = [len(sequence) for sequence in sequences]
    # Keras takes the sample shape from the first non-empty sequence and checks the others against it.
    sample_shape = next((array.shape[1:] for array in arrays if len(array)), ())
    if maxlen is None:
        maxlen = max(lengths, default=0)
    _check_value_type(value, dtype)
    dtype = np.dtype(dtype)
    fill = _cast_exactly(np.asarray(value), dtype, "value")
    padded = np.full((len(arrays), maxlen, *sample_shape), fill, dtype=dtype)  # (N, T, *S)
    for i, array in enumerate(arrays):
        if len(array) == 0:
            continue
        if array.shape[1:] != sample_shape:
            raise ValueError(
                f"sequence {i} has elements of shape {array.shape[1:]}, expected {sample_shape} "
                "(the shape in the first non-empty sequence)"
            )
        # Not array[-maxlen:]: for maxlen = 0 that keeps everything (Keras then crashes).
        kept = (
            array[max(len(array) - maxlen, 0) :] if truncating == "pre" else array[:maxlen]
        )  # (min(L_i, T), *S)
        start = maxlen - len(kept) if padding == "pre" else 0
        padded[i, start : start + len(kept)] = _cast_exactly(kept, dtype, f"sequence {i}")
    return padded


def _check_value_type(value, dtype):
    """Keras's check, word for word: a str `value` needs dtype object or a unicode string dtype."""
    if isinstance(value, str) and np.dtype(dtype).kind not in "OU":
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\n"
            "You should set `dtype=object` for variable length strings."
        )


def _check_options(sequences, maxlen, padding, truncating):
    """Validate pad_sequences' arguments up front (Keras checks some of them only when used)."""
    if not hasattr(sequences, "__len__") or isinstance(sequences, (str, bytes)):
        raise ValueError(f"`sequences` must be a list of sequences, got {type(sequences).__name__}")
    _check_side("padding", padding)
    _check_side("truncating", truncating)
    if maxlen is not None and (isinstance(maxlen, bool) or not isinstance(maxlen, Integral) or maxlen < 0):
        raise ValueError(f"maxlen must be None or an integer >= 0, got {maxlen!r}")


def _is_padding(batch, value):
    """(N, T) bool: True where a whole time step equals `value` (NaN matches NaN)."""
    equal = np.isnan(batch) if isinstance(value, float) and np.isnan(value) else batch == value
    step_size = int(np.prod(batch.shape[2:]))  # 1 for (N, T); explicit so T = 0 reshapes too
    return equal.reshape(*batch.shape[:2], step_size).all(axis=-1)


def lengths_from_padded(batch, value=0, padding="pre"):
    """Recover sequence lengths from a padded batch.

    Only the padding side is inspected: with padding="pre" the length counts from the first step
    that is not `value`, so a sequence may contain `value` in its middle or at its other end, but a
    real token equal to `value` next to the padding is counted as padding (hence id 0 is reserved).

    Args:
        batch: (N, T) or (N, T, *S); a step is padding when all its entries equal `value`.
        value: the padding value. padding: "pre" or "post".
    Returns:
        lengths: (N,) int64.
    """
    _check_side("padding", padding)
    batch = np.asarray(batch)
    if batch.ndim < 2:
        raise ValueError(f"expected a batch of shape (N, T) or (N, T, ...), got shape {batch.shape}")
    N, T = batch.shape[:2]
    is_padding = _is_padding(batch, value)  # (N, T)
    if padding == "post":
        is_padding = is_padding[:, ::-1]
    # The padding run is the prefix (after flipping post-padding) where every step is padding.
    run = np.logical_and.accumulate(is_padding, axis=1)  # (N, T)
    return (T - run.sum(axis=1)).astype(np.int64)


def _check_lengths(lengths, maxlen):
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or (lengths.size and lengths.dtype.kind not in "iu"):
        raise ValueError(f"expected 1-D integer lengths, got dtype {lengths.dtype} shape {lengths.shape}")
    if lengths.size and (lengths.min() < 0 or lengths.max() > maxlen):
        raise ValueError(f"expected lengths in [0, {maxlen}], got min {lengths.min()} max {lengths.max()}")
    return lengths.astype(np.int64)


def mask_from_lengths(lengths, maxlen=None, padding="pre"):
    """Boolean mask of the real (non-padding) steps.

    Args:
        lengths: (N,) integers in [0, maxlen]. maxlen: T; None means max(lengths).
        padding: "pre" (real steps at the end of each row) or "post" (at the start).
    Returns:
        mask: (N, T) bool, True on real steps; mask.sum(axis=1) == lengths.
    """
    _check_side("padding", padding)
    lengths = np.asarray(lengths)
    if maxlen is None:
        maxlen = int(lengths.max()) if lengths.size else 0
    lengths = _check_lengths(lengths, maxlen)
    steps = np.arange(maxlen)  # (T,)
    if padding == "post":
        return steps[None, :] < lengths[:, None]
    return steps[None, :] >= maxlen - lengths[:, None]


def unpad(batch, lengths, padding="pre"):
    """Inverse of pad_sequences (when nothing was truncated): the real part of each row.

    Args:
        batch: (N, T) or (N, T, *S). lengths: (N,). padding: the side the padding is on.
    Returns:
        list of N Python lists (row i has lengths[i] elements), like pad_sequences' input.
    """
    batch = np.asarray(batch)
    if batch.ndim < 2:
        raise ValueError(f"expected a batch of shape (N, T) or (N, T, ...), got shape {batch.shape}")
    N, T = batch.shape[:2]
    lengths = _check_lengths(lengths, T)
    if len(lengths) != N:
        raise ValueError(f"expected {N} lengths (one per row), got {len(lengths)}")
    mask = mask_from_lengths(lengths, T, padding)  # (N, T)
    return [row[row_mask].tolist() for row, row_mask in zip(batch, mask, strict=True)]
