"""Recurrent layers as torch.nn modules written from tensor operations, drop-in for torch.nn.

    RNNCell, LSTMCell, GRUCell   one time step (cells.py), what students read first
    RNN, LSTM, GRU               multi-layer, bidirectional, packed-sequence layers (layers.py)
    DotProductAttention, GeneralAttention, AdditiveAttention   attention over a padded memory (attention.py)

The recurrent modules have the same constructor arguments, parameter names, init, inputs, outputs and
errors as torch.nn, so a state_dict loads both ways and the numbers agree. torch.nn has no counterpart of
the attention modules (nn.MultiheadAttention projects queries, keys and values first); their parameters
copy to and from course_lib.numpy.attention instead.
"""

from course_lib.torch.attention import AdditiveAttention, DotProductAttention, GeneralAttention
from course_lib.torch.cells import GRUCell, LSTMCell, RNNCell
from course_lib.torch.layers import GRU, LSTM, RNN

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "DotProductAttention", "GeneralAttention",
           "AdditiveAttention"]
