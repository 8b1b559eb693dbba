"""The course's models, one import away: each is a config dataclass plus an nn.Module.

    LanguageModel(LMConfig)            tokens (N, T) -> next-token logits (N, T, V); generate()
    SequenceClassifier(ClassifierConfig)  padded (N, T) + lengths -> class logits (N, C)
    Seq2Seq(Seq2SeqConfig)             src (N, S), tgt (N, T) -> logits (N, T-1, V); greedy, beam
    Forecaster(ForecasterConfig)       window (N, T, D) -> next steps (N, horizon, D); rollout()
    SequenceTagger(TaggerConfig)       tokens (N, T) -> per-step label logits (N, T, C)
    WindowMLP                          fixed window of w tokens -> next-token logits (window_mlp)
    AttentionSeq2Seq(AttentionSeq2SeqConfig)  Seq2Seq whose decoder attends over the encoder outputs
    SelfAttentionClassifier(SelfAttentionClassifierConfig)  one self-attention layer, masked mean -> (N, C)
    ConditionalLanguageModel(ConditionalLMConfig)  a class id + tokens (N, T) -> next-token logits
    BagClassifier                      bag of n-grams -> class logits (logistic regression)

All are batch-first. Every config has `cell` ("rnn", "lstm", "gru") and `impl`: "scratch" runs
the course's own layers (course_lib.torch.layers), "torch" runs torch.nn's; the two hold the same
parameters, so a state_dict moves between them. Each model lives in its own module
(models_lm, models_classify, models_seq2seq, models_forecast, models_attention, models_conditional,
models_bag); shared helpers are in recurrent.
"""

from course_lib.torch.models_attention import (
    AttentionSeq2Seq,
    AttentionSeq2SeqConfig,
    SelfAttentionClassifier,
    SelfAttentionClassifierConfig,
)
from course_lib.torch.models_bag import BagClassifier
from course_lib.torch.models_classify import ClassifierConfig, SequenceClassifier
from course_lib.torch.models_conditional import ConditionalLanguageModel, ConditionalLMConfig
from course_lib.torch.models_forecast import Forecaster, ForecasterConfig
from course_lib.torch.models_lm import LanguageModel, LMConfig, sample_next
from course_lib.torch.models_seq2seq import Decoded, Seq2Seq, Seq2SeqConfig
from course_lib.torch.models_tagger import SequenceTagger, TaggerConfig
from course_lib.torch.recurrent import detach_hidden, make_recurrent
from course_lib.torch.window_mlp import WindowMLP

__all__ = [
    "LMConfig",
    "LanguageModel",
    "sample_next",
    "ClassifierConfig",
    "SequenceClassifier",
    "Seq2SeqConfig",
    "Seq2Seq",
    "Decoded",
    "ForecasterConfig",
    "Forecaster",
    "TaggerConfig",
    "SequenceTagger",
    "WindowMLP",
    "detach_hidden",
    "make_recurrent",
    "AttentionSeq2SeqConfig",
    "AttentionSeq2Seq",
    "SelfAttentionClassifierConfig",
    "SelfAttentionClassifier",
    "ConditionalLMConfig",
    "ConditionalLanguageModel",
    "BagClassifier",
]
