"""A character-level language model in NumPy: one-hot characters, a tanh RNN, a softmax over characters.

    h_t = tanh(W_ih onehot(x_t) + b_ih + W_hh h_{t-1} + b_hh)      (N, H)
    logits_t = h_t W_outᵀ + b_out                                    (N, V)
    loss = mean over n, t of -ln softmax(logits_t)[y_t]             nats per character

W_ih onehot(x_t) is column x_t of W_ih: with one-hot inputs the input weights are the characters'
embeddings. Notebook 03 trains this model; save_char_rnn / load_char_rnn write and read it as a small
.npz whose bytes depend only on the weights and the alphabet, so that later notebooks can score it.
"""

import io
import zipfile

import numpy as np

from course_lib.numpy._checks import check_sizes
from course_lib.numpy.init import init_rnn_params, torch_uniform
from course_lib.numpy.layers import check_ids, temporal_affine_backward, temporal_affine_forward
from course_lib.numpy.losses import log_softmax, softmax_cross_entropy
from course_lib.numpy.rnn import rnn_backward, rnn_forward, rnn_step_forward

CHAR_RNN_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_out", "bias_out")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry: no clock in the file


def init_char_rnn(V, H, rng, dtype=np.float32):
    """Params for a V-character model with H hidden units, every entry U(-1/√H, 1/√H) as in torch.nn.

    Returns:
        dict with weight_ih (H, V), weight_hh (H, H), bias_ih, bias_hh (H,) (torch.nn.RNN's layout),
        weight_out (V, H) and bias_out (V,) (torch.nn.Linear's layout).
    """
    check_sizes(V=V, H=H)
    params = init_rnn_params(V, H, rng, dtype=dtype)
    params["weight_out"] = torch_uniform((V, H), H, rng, dtype)
    params["bias_out"] = torch_uniform((V,), H, rng, dtype)
    return params


def one_hot(ids, V, dtype=np.float32):
    """ids (...) integers in [0, V) -> (..., V) with a single 1 per position."""
    ids = check_ids("ids", ids, V)
    return np.eye(V, dtype=dtype)[ids]


def char_rnn_forward(ids, h0, params):
    """Next-character logits at every step.

    Args:
        ids: (N, T) character ids. h0: (N, H), or None for zeros. params: as from init_char_rnn.
    Returns:
        logits: (N, T, V), logits[:, t] predicts the character after ids[:, t].
        h_last: (N, H) the state after the last step, to carry into the next chunk of the text.
    """
    logits, _, _, out = _forward(ids, h0, params)
    return logits, out[:, -1]


def char_rnn_loss(ids, targets, h0, params):
    """Mean cross-entropy of next-character prediction and its gradient (backpropagation through time).

    The gradient stops at h0: a caller that carries h_last into the next chunk gets truncated BPTT
    with one chunk per call.

    Args:
        ids: (N, T) input character ids. targets: (N, T) the next characters, ids shifted by one.
        h0: (N, H) or None for zeros. params: as from init_char_rnn.
    Returns:
        loss: float, nats per character.  grads: dict keyed like params.  h_last: (N, H).
    """
    logits, rnn_cache, head_cache, out = _forward(ids, h0, params)
    loss, dlogits = softmax_cross_entropy(logits, targets)  # mean over the N*T positions
    dout, dweight_out, dbias_out = temporal_affine_backward(dlogits, head_cache)  # dout: (N, T, H)
    _, _, grads = rnn_backward(dout, rnn_cache)  # no gradient for the one-hot inputs or h0
    grads.update(weight_out=dweight_out, bias_out=dbias_out)
    return loss, grads, out[:, -1]


def bits_per_char(ids, params, chunk=2000):
    """Cross-entropy in bits per character of predicting ids[1:] from the characters before each.

    One stream read from h = 0, in chunks of `chunk` steps with the state carried across them, so the
    result does not depend on `chunk`. Every character but the first is predicted from all before it.

    Args:
        ids: (L,) character ids, L >= 2. params: as from init_char_rnn.
    Returns:
        float: -Σ_t log2 P(ids[t] | ids[:t]) / (L - 1) for t = 1 .. L-1.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError(f"ids: expected (L,) with L >= 2, got shape {ids.shape}")
    h, nats = None, 0.0
    for start in range(0, len(ids) - 1, chunk):
        stop = min(start + chunk, len(ids) - 1)
        inputs, targets = ids[None, start:stop], ids[None, start + 1 : stop + 1]  # (1, t) each
        logits, h = char_rnn_forward(inputs, h, params)
        nats -= np.take_along_axis(log_softmax(logits.astype(np.float64)), targets[..., None], axis=-1).sum()
    return float(nats / ((len(ids) - 1) * np.log(2)))


def sample_char_rnn(params, prompt_ids, length, rng, temperature=1.0):
    """Read a prompt, then draw `length` characters, each fed back in as the next input.

    Args:
        params: as from init_char_rnn. prompt_ids: non-empty sequence of ids. length: characters to add.
        rng: np.random.Generator. temperature: > 0; the logits are divided by it (below 1: safer text).
    Returns:
        list of ids: the prompt followed by the `length` new ones.
    """
    if not temperature > 0:
        raise ValueError(f"temperature: expected a positive number, got {temperature!r}")
    prompt_ids = [int(i) for i in prompt_ids]
    if not prompt_ids:
        raise ValueError("prompt_ids: expected at least one id")
    V = params["weight_out"].shape[0]
    logits, h = char_rnn_forward(np.array([prompt_ids]), None, params)
    logits, ids = logits[0, -1], list(prompt_ids)
    for _ in range(length):
        p = np.exp(log_softmax(logits.astype(np.float64) / temperature))  # (V,)
        ids.append(int(rng.choice(V, p=p / p.sum())))
        x = one_hot(np.array([ids[-1]]), V, params["weight_ih"].dtype)  # (1, V)
        h, _ = rnn_step_forward(x, h, params)
        logits = (h @ params["weight_out"].T + params["bias_out"])[0]  # (V,)
    return ids


def save_char_rnn(path, params, itos):
    """Write params and the alphabet to an uncompressed .npz that np.load reads.

    The file's bytes depend only on the arrays (no timestamps, no pickles), so saving the same model
    twice gives the same file, and git sees no change.

    Args:
        path: where to write. params: as from init_char_rnn. itos: the alphabet, id -> character.
    """
    arrays = {key: np.ascontiguousarray(params[key]) for key in CHAR_RNN_KEYS}
    arrays["itos"] = np.array(list(itos), dtype=str)  # (V,) unicode, not object: no pickle needed
    if arrays["itos"].shape != (arrays["weight_out"].shape[0],):
        raise ValueError(f"itos: expected {arrays['weight_out'].shape[0]} characters, got {len(itos)}")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIME), buffer.getvalue())


def load_char_rnn(path):
    """Read what save_char_rnn wrote. Returns (params dict, itos list of characters)."""
    with np.load(path, allow_pickle=False) as archive:
        params = {key: archive[key] for key in CHAR_RNN_KEYS}
        itos = archive["itos"].tolist()
    return params, itos


def _forward(ids, h0, params):
    """one-hot -> RNN -> affine; returns logits (N, T, V), both caches and the RNN outputs (N, T, H)."""
    V = params["weight_out"].shape[0]
    x = one_hot(ids, V, params["weight_ih"].dtype)  # (N, T, V)
    out, rnn_cache = rnn_forward(x, h0, params)  # (N, T, H)
    logits, head_cache = temporal_affine_forward(out, params["weight_out"], params["bias_out"])  # (N, T, V)
    return logits, rnn_cache, head_cache, out
