"""course_lib: the shared library of the course "Deep learning for sequential data".

Subpackages, by concept:
    course_lib.numpy    recurrent networks from scratch in NumPy (forward and backward by hand)
    course_lib.torch    the same layers as drop-in torch.nn modules, and the course's models
    course_lib.text     tokenizers, vocabulary, padding, embedding utilities
    course_lib.series   lag tables, sliding windows, splits, scaling and baselines for time series
    course_lib.data     real data sets that ship with a package or with Python (no downloads)
    course_lib.train    the training loop every notebook uses
    course_lib.check    gradient checking and the tolerances every test uses
    course_lib.plot     plot helpers that take arrays and return matplotlib Axes
    course_lib.grading  the local autograder for the exercises

Shape alphabet used in every docstring:
    N batch size, T time steps, D input features, H hidden units, V vocabulary size,
    G gates per cell (1 RNN, 4 LSTM, 3 GRU), L layers, C classes.
Arrays are batch-major (N, T, D) except where drop-in compatibility with torch.nn requires its
time-major default.

Importing course_lib (or course_lib.numpy, .text, .series, .data, .check) never imports torch or matplotlib.
"""

__version__ = "0.1.0"
