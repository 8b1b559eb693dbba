"""The time loop of one layer and direction, for padded and packed batches (used by layers.py).

A step maps (gx_t, state, W_hh, b_hh) to the new state tuple, (h,) or (h, c); scan runs it over
the T input projections gx_t, forwards or backwards in time. In a packed batch the number of
sequences N_t still running at step t shrinks with t (sequences sorted longest first), and each
sequence's final state is the one at its own last step.
"""

import torch


def scan(step, gx_steps, state0, weight_hh, bias_hh, reverse=False):
    """Run one direction of one layer: state = step(gx_steps[t], state, W_hh, b_hh) for each t.

    gx_steps[t] is (N_t, G*H). N_t is N for a padded batch; for a packed batch N_t is the number
    of sequences longer than t (non-increasing: sequences sorted by length, longest first).

    Args:
        gx_steps: sequence of T tensors (N_t, G*H). state0: tuple of (N, H), (h,) or (h, c);
            h is (N, P) for an LSTM with a projection (cells.lstmp_step).
        weight_hh: (G*H, H) or (G*H, P). bias_hh: (G*H,) or None. reverse: run from t = T-1 down to 0.
    Returns:
        outputs: list of T tensors (N_t, H) or (N_t, P), h at each step in time order.
        state: tuple like state0, each sequence's final state.
    """
    run = _scan_reverse if reverse else _scan_forward
    return run(step, gx_steps, state0, weight_hh, bias_hh)


def _scan_forward(step, gx_steps, state0, weight_hh, bias_hh):
    """Forward in time; a sequence keeps its state from its own last step on."""
    outputs = []
    ended = []  # final states of sequences that stopped early, shortest (last rows) first
    state = state0
    for gx in gx_steps:
        n_t = gx.size(0)
        if n_t < state[0].size(0):  # sequences n_t.. ended at the previous step
            ended.append(tuple(s[n_t:] for s in state))
            state = tuple(s[:n_t] for s in state)  # each (N_t, H)
        state = step(gx, state, weight_hh, bias_hh)
        outputs.append(state[0])
    if ended:
        ended.append(state)
        state = tuple(torch.cat(parts[::-1]) for parts in zip(*ended, strict=True))  # each (N, H)
    return outputs, state


def _scan_reverse(step, gx_steps, state0, weight_hh, bias_hh):
    """Backward in time; a sequence starts at its own last element, from its initial state."""
    outputs = []
    n = gx_steps[-1].size(0)
    state = tuple(s[:n] for s in state0)  # (N_{T-1}, H): only the longest sequences have step T-1
    for gx in reversed(gx_steps):
        n_t = gx.size(0)
        if n_t > n:  # sequences n..n_t-1 have their last element here: they join from state0
            state = tuple(torch.cat([s, s0[n:n_t]]) for s, s0 in zip(state, state0, strict=True))
            n = n_t
        state = step(gx, state, weight_hh, bias_hh)
        outputs.append(state[0])
    return outputs[::-1], state
