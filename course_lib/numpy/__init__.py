"""Recurrent networks and attention in NumPy: every forward and backward equation written out by hand.

Batch-first arrays: x (N, T, D), states (N, H), outputs (N, T, H). Cell parameters are dicts in
torch.nn's layout and names (weight_ih (G*H, D), weight_hh (G*H, H), bias_ih, bias_hh (G*H,)), so they
copy straight to and from torch.nn.RNN / LSTM / GRU. Ops come in pairs, op_forward -> (out, cache) and
op_backward(dout, cache) -> gradients; nothing modifies its inputs, and float32 stays float32.
This package imports NumPy only.
"""

from course_lib.numpy.activations import relu, sigmoid
from course_lib.numpy.attention import (
    AttentionCache,
    MaskedSoftmaxCache,
    additive_scores_backward,
    additive_scores_forward,
    attention_backward,
    attention_forward,
    dot_scores_backward,
    dot_scores_forward,
    general_scores_backward,
    general_scores_forward,
    masked_softmax_backward,
    masked_softmax_forward,
)
from course_lib.numpy.bidirectional import BidirectionalCache, bidirectional_backward, bidirectional_forward
from course_lib.numpy.cho_gru import (
    ChoGRUCache,
    ChoGRUStepCache,
    cho_gru_backward,
    cho_gru_forward,
    cho_gru_step_backward,
    cho_gru_step_forward,
)
from course_lib.numpy.gru import (
    GRUCache,
    GRUStepCache,
    gru_backward,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
)
from course_lib.numpy.init import (
    identity,
    init_gru_params,
    init_lstm_params,
    init_rnn_params,
    orthogonal,
    torch_uniform,
    xavier_normal,
    xavier_uniform,
)
from course_lib.numpy.layers import (
    AffineCache,
    EmbeddingCache,
    affine_backward,
    affine_forward,
    embedding_backward,
    embedding_forward,
    temporal_affine_backward,
    temporal_affine_forward,
)
from course_lib.numpy.losses import log_softmax, mse_loss, softmax, softmax_cross_entropy
from course_lib.numpy.lstm import (
    LSTMCache,
    LSTMStepCache,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)
from course_lib.numpy.optim import (
    SGD,
    Adagrad,
    Adam,
    Momentum,
    Optimizer,
    clip_grad_norm,
    clip_grad_value,
    global_norm,
)
from course_lib.numpy.recurrent import RecurrentCache, recurrent_backward, recurrent_forward
from course_lib.numpy.rnn import (
    RNNCache,
    RNNStepCache,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from course_lib.numpy.tbptt import TBPTTResult, chunk_slices, truncated_bptt
from course_lib.numpy.window_mlp import (
    WindowMLPCache,
    init_window_mlp_params,
    window_mlp_backward,
    window_mlp_forward,
)
