"""Text to tensors: tokenizers, a vocabulary, padding, batching for RNNs, embedding inspection.

    tokenize     char_tokenize, word_tokenize, text_to_word_sequence (Keras's rule)
    bpe          BPETokenizer, train_bpe: byte-level byte-pair encoding
    vocab        Vocab: token <-> id with <pad>=0, optional <unk>/<bos>/<eos>, Keras's ordering
    padding      pad_sequences (Keras semantics), lengths_from_padded, mask_from_lengths, unpad
    collate      collate (DataLoader collate_fn), pack_batch, pre_to_post_padding (torch, lazily)
    embeddings   cosine_similarity, nearest_neighbours, nearest_tokens, pca, project_2d
    ngram        NGramLM, count-based character n-gram models; CHAR_LM_BASELINES, notebook 01's chosen ones

Importing this package never imports torch or matplotlib; the collate functions import torch
when called.
"""

from course_lib.text.bpe import BPETokenizer, train_bpe
from course_lib.text.char_lm_baselines import CHAR_LM_BASELINES
from course_lib.text.collate import collate, pack_batch, pre_to_post_padding
from course_lib.text.edit_distance import edit_distance, error_rate
from course_lib.text.embeddings import (
    PCAResult,
    cosine_similarity,
    nearest_neighbours,
    nearest_tokens,
    pca,
    project_2d,
)
from course_lib.text.ngram import NGramLM
from course_lib.text.padding import lengths_from_padded, mask_from_lengths, pad_sequences, unpad
from course_lib.text.tokenize import char_tokenize, text_to_word_sequence, word_tokenize
from course_lib.text.vocab import Vocab

__all__ = [
    "BPETokenizer",
    "CHAR_LM_BASELINES",
    "NGramLM",
    "PCAResult",
    "Vocab",
    "char_tokenize",
    "collate",
    "cosine_similarity",
    "edit_distance",
    "error_rate",
    "lengths_from_padded",
    "mask_from_lengths",
    "nearest_neighbours",
    "nearest_tokens",
    "pack_batch",
    "pad_sequences",
    "pca",
    "pre_to_post_padding",
    "project_2d",
    "text_to_word_sequence",
    "train_bpe",
    "unpad",
    "word_tokenize",
]
