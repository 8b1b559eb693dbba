"""collate for DataLoader and pack_batch: tensors, lengths, and packing that equals per-sequence runs."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from course_lib.text import collate, pack_batch, pad_sequences, pre_to_post_padding  # noqa: E402


def test_collate_pads_post_and_returns_lengths():
    x, lengths = collate([[5, 6, 7], [8]])
    assert x.dtype == torch.int64 and lengths.dtype == torch.int64
    assert x.tolist() == [[5, 6, 7], [8, 0, 0]] and lengths.tolist() == [3, 1]


def test_collate_with_scalar_and_per_step_targets():
    x, lengths, y = collate([([1, 2], 0), ([3], 1)], padding="pre")
    assert x.tolist() == [[1, 2], [0, 3]] and lengths.tolist() == [2, 1] and y.tolist() == [0, 1]
    x, lengths, y = collate([([1, 2], [2, 3]), ([3], [4])])
    assert y.tolist() == [[2, 3], [4, -100]]  # -100: CrossEntropyLoss's ignore_index
    _, _, y = collate([([1.0], 0.5), ([2.0], 1.5)])
    assert y.dtype == torch.float32


def test_collate_infers_float_inputs_and_works_in_a_dataloader():
    series = [np.ones((3, 2)), np.ones((1, 2))]
    x, lengths = collate(series)
    assert x.shape == (2, 3, 2) and x.dtype == torch.float32 and lengths.tolist() == [3, 1]
    dataset = [([1, 2, 3], 1), ([4], 0), ([5, 6], 1)]
    batches = list(torch.utils.data.DataLoader(dataset, batch_size=2, collate_fn=collate))
    assert [batch[0].shape for batch in batches] == [(2, 3), (1, 2)]


def test_collate_rejects_mixed_items():
    with pytest.raises(ValueError, match="pair"):
        collate([([1], 0), [2]])


@pytest.mark.parametrize("batch_first", [True, False], ids=["batch_first", "time_major"])
def test_pre_to_post_padding_moves_real_steps_to_the_front(batch_first):
    sequences = [[1, 2, 3], [4], [5, 6]]
    pre = torch.from_numpy(pad_sequences(sequences, padding="pre", dtype="int64"))
    post = torch.from_numpy(pad_sequences(sequences, padding="post", dtype="int64"))
    lengths = [3, 1, 2]
    if batch_first:
        assert torch.equal(pre_to_post_padding(pre, lengths), post)
    else:
        assert torch.equal(pre_to_post_padding(pre.T, lengths, batch_first=False), post.T)


@pytest.mark.parametrize("padding", ["pre", "post"])
def test_packed_gru_equals_each_sequence_run_alone(padding):
    torch.manual_seed(0)
    gru = torch.nn.GRU(3, 4, batch_first=True)
    sequences = [torch.randn(T, 3) for T in (2, 5, 1)]
    padded = torch.from_numpy(pad_sequences([s.numpy() for s in sequences], dtype="float32", padding=padding))
    lengths = torch.tensor([2, 5, 1])
    with torch.no_grad():
        _, h_packed = gru(pack_batch(padded, lengths, padding=padding))  # (1, N, H)
        for i, sequence in enumerate(sequences):
            _, h_alone = gru(sequence[None])  # (1, 1, H)
            torch.testing.assert_close(h_packed[:, i], h_alone[:, 0])


def test_pack_batch_rejects_empty_sequences_and_bad_padding():
    x = torch.zeros(2, 3, 1)
    with pytest.raises(ValueError, match="empty"):
        pack_batch(x, [3, 0])
    with pytest.raises(ValueError, match="padding"):
        pack_batch(x, [3, 1], padding="left")
