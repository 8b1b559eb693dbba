"""The registry of graded exercises: one module per exercise notebook, each defining `EXERCISE`.

    ex01_windows                   01_windows_and_parameters: fixed windows, bags of words, parameter counts
    ex02_rnn                       02_rnn_forward_backward: the RNN step and sequence, forward and backward
    ex03_lstm_gru                  03_lstm_and_gru: LSTM and GRU steps, forward and backward
    ex04_tbptt                     04_truncated_bptt_and_clipping: clipping, truncated BPTT, a training loop
    ex05_bidirectional             05_bidirectional_and_packing: a BiRNN, reversing and packing padded batches
    ex06_nlp_preprocessing         06_nlp_preprocessing: tokenizer, vocabulary with <unk>, pad_sequences
    ex07_sampling_forecasting      07_sampling_and_forecasting: temperature sampling, windows, a forecaster
    ex08_sequence_classification   08_sequence_classification: masked mean, macro-F1, class weights
    ex09_encoder_decoder           09_encoder_decoder: teacher forcing, a masked loss, greedy and beam search
    ex10_attention                 10_attention: a masked softmax, attention forward, backward, decoder step
    ex11_sentiment                 11_sentiment_of_reviews: negation scope, masked max pooling, a classifier

A module here holds the reference answers and the checks of its tasks, imports only NumPy at
module level (torch lazily, inside a check), and is found by course_lib.grading.registry
without being listed anywhere else. See course_lib.grading for how to add one.
"""
