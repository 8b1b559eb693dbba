"""From lists of sequences to the tensors an RNN eats: a DataLoader collate function and packing.

torch is imported inside the functions only, so `import course_lib.text` stays light.

PyTorch conventions differ from Keras's on one point: `pack_padded_sequence` assumes post-padding
(real steps first). `collate` therefore post-pads by default, and `pack_batch` converts pre-padded
batches (Keras's default) to post-padding before packing.
"""

import numpy as np

from course_lib.text.padding import pad_sequences

IGNORE_INDEX = -100  # torch.nn.CrossEntropyLoss's default ignore_index: padded targets add no loss


def _infer_dtype(sequences):
    kinds = {np.asarray(sequence).dtype.kind for sequence in sequences if len(sequence)}
    return "float32" if kinds & {"f", "c"} else "int64"


def collate(batch, padding="post", value=0, maxlen=None, dtype=None, target_value=IGNORE_INDEX):
    """Collate function for torch.utils.data.DataLoader: pad, and return lengths and targets.

    Use as `DataLoader(dataset, collate_fn=collate)`, or with options through
    `functools.partial(collate, padding="pre")`.

    Args:
        batch: list of N items, each a sequence, or a (sequence, target) pair. Targets are scalars
            (one label per sequence) or sequences (one label per step: padded with `target_value`).
        padding, value, maxlen: as in pad_sequences (truncation, if maxlen is short, is "pre").
        dtype: of the inputs; None means int64 for integer data, float32 for float data.
        target_value: padding for per-step targets (-100, CrossEntropyLoss's ignore_index).
    Returns:
        (x (N, T, *S), lengths (N,) int64) or (x, lengths, targets) as torch tensors; targets are
        (N,) or (N, T') (per-step). Lengths count kept steps (after any truncation).
    """
    import torch

    has_targets = len(batch) > 0 and isinstance(batch[0], tuple)
    if has_targets and any(not isinstance(item, tuple) or len(item) != 2 for item in batch):
        raise ValueError("expected every item to be a (sequence, target) pair when the first one is")
    sequences = [item[0] for item in batch] if has_targets else list(batch)
    dtype = _infer_dtype(sequences) if dtype is None else dtype
    x = pad_sequences(sequences, maxlen, dtype, padding, "pre", value)  # (N, T, *S)
    lengths = np.array([min(len(sequence), x.shape[1]) for sequence in sequences], dtype=np.int64)
    tensors = (torch.from_numpy(x), torch.from_numpy(lengths))
    if not has_targets:
        return tensors
    targets = [item[1] for item in batch]
    if all(np.ndim(target) == 0 for target in targets):
        targets = np.asarray(targets)  # (N,)
        targets = targets.astype(np.float32) if targets.dtype.kind == "f" else targets
        return (*tensors, torch.from_numpy(targets))
    padded_targets = pad_sequences(targets, None, _infer_dtype(targets), padding, "pre", target_value)
    return (*tensors, torch.from_numpy(padded_targets))


def pre_to_post_padding(x, lengths, batch_first=True):
    """Move the real steps of a pre-padded batch to the front (torch tensors).

    Args:
        x: (N, T, *S) if batch_first else (T, N, *S), pre-padded. lengths: (N,) real steps per row.
    Returns:
        the same values post-padded: row i starts with its lengths[i] real steps, same shape.
    """
    import torch

    time_dim = 1 if batch_first else 0
    T = x.shape[time_dim]
    lengths = torch.as_tensor(lengths, dtype=torch.int64, device=x.device)  # (N,)
    # Rolling row i left by T - lengths[i] brings its real steps to the front.
    source = (torch.arange(T, device=x.device)[None, :] + (T - lengths)[:, None]) % T  # (N, T)
    if not batch_first:
        source = source.T  # (T, N)
    source = source.reshape(*source.shape, *([1] * (x.dim() - 2))).expand_as(x)
    return torch.gather(x, time_dim, source)


def pack_batch(x, lengths, batch_first=True, padding="post"):
    """Pack a padded batch for nn.RNN/LSTM/GRU (pack_padded_sequence with enforce_sorted=False).

    Args:
        x: (N, T, D) if batch_first else (T, N, D), a float tensor. lengths: (N,) ints in [1, T].
        padding: "post" (real steps first, torch's convention) or "pre" (Keras's default; the
            batch is converted to post-padding first, since packing reads the first lengths[i] steps).
    Returns:
        torch.nn.utils.rnn.PackedSequence. Unpack with pad_packed_sequence: its output is post-padded.
    """
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence

    if padding not in ("pre", "post"):
        raise ValueError(f'padding must be "pre" or "post", got {padding!r}')
    lengths = torch.as_tensor(lengths).to(device="cpu", dtype=torch.int64)  # packing wants CPU int64
    T = x.shape[1 if batch_first else 0]
    if lengths.dim() != 1 or (lengths.numel() and (lengths.min() < 1 or lengths.max() > T)):
        raise ValueError(
            f"expected 1-D lengths in [1, {T}] (packing rejects empty sequences), got {lengths.tolist()}"
        )
    if padding == "pre":
        x = pre_to_post_padding(x, lengths.to(x.device), batch_first)
    return pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
