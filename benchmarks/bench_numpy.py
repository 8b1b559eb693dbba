"""Forward + backward time of course_lib.numpy's RNN, LSTM and GRU against torch.nn, CPU, float32.

Run from the repository root:
    python benchmarks/bench_numpy.py              # the full table, about a minute
    python benchmarks/bench_numpy.py --quick      # a tiny smoke run
    python benchmarks/bench_numpy.py --threads 1  # one BLAS / torch thread each

--threads matters on a shared machine: when other processes hold the cores, a multithreaded matmul
waits for its helper threads to be scheduled, and the many small per-step matmuls of a recurrence can
become ten times slower, in NumPy (OpenBLAS) and torch alike; one thread each compares the two fairly.

Both run in the same process on the same input, weights and upstream gradient dout: NumPy does
cell_forward then cell_backward(dout), torch does module(x) then out.backward(dout). Each timing is
the median of several repeats after one warm-up. NumPy and torch are timed in separate blocks with a
pause between them, because OpenBLAS threads keep spinning for a while after a NumPy call and would
slow a torch call timed right after it. The ratio is NumPy / torch.nn.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

import course_lib.numpy as cnp

CELLS = ("LSTM", "GRU", "RNN")
# Targets at H=256 (the issue's): the ratio NumPy / torch.nn should stay below these.
TARGETS = {"LSTM": 2.0, "GRU": 1.3, "RNN": 1.3}
# (N, T, D, H): the reference size, a small H where per-step Python overhead weighs more, and a
# large size where the matmuls dominate.
FULL = [(32, 100, 64, 128), (32, 100, 64, 256), (64, 200, 64, 512)]
QUICK = [(4, 10, 8, 16)]
PAUSE_S = 0.25

INIT = {"LSTM": cnp.init_lstm_params, "GRU": cnp.init_gru_params, "RNN": cnp.init_rnn_params}


def numpy_seconds(cell, x, params, dout):
    """Seconds of one NumPy forward and backward pass."""
    start = time.perf_counter()
    if cell == "LSTM":
        cnp.lstm_backward(dout, cnp.lstm_forward(x, None, None, params)[1])
    elif cell == "GRU":
        cnp.gru_backward(dout, cnp.gru_forward(x, None, params)[1])
    else:
        cnp.rnn_backward(dout, cnp.rnn_forward(x, None, params)[1])
    return time.perf_counter() - start


def torch_seconds(module, x, dout):
    """Seconds of one torch.nn forward pass and out.backward(dout)."""
    module.zero_grad(set_to_none=True)
    x.grad = None
    start = time.perf_counter()
    out, _ = module(x)
    out.backward(dout)
    return time.perf_counter() - start


def compare(cell, N, T, D, H, repeats, rng):
    """Median (NumPy seconds, torch.nn seconds) for one cell type and size, same weights and data."""
    params = INIT[cell](D, H, rng, dtype=np.float32)
    x = rng.standard_normal((N, T, D), dtype=np.float32)
    dout = rng.standard_normal((N, T, H), dtype=np.float32)
    module = getattr(torch.nn, cell)(D, H, batch_first=True)
    with torch.no_grad():
        for key, value in params.items():
            getattr(module, f"{key}_l0").copy_(torch.from_numpy(value))
    x_torch = torch.from_numpy(x).requires_grad_()
    dout_torch = torch.from_numpy(dout)
    numpy_seconds(cell, x, params, dout)  # warm-up
    torch_seconds(module, x_torch, dout_torch)
    times = {"numpy": [], "torch": []}
    for _ in range(repeats):
        time.sleep(PAUSE_S)
        times["numpy"].append(numpy_seconds(cell, x, params, dout))
        time.sleep(PAUSE_S)
        times["torch"].append(torch_seconds(module, x_torch, dout_torch))
    return statistics.median(times["numpy"]), statistics.median(times["torch"])


def repeats_for(N, T, H, quick):
    """Fewer repeats for the big size so that the whole run takes about a minute."""
    if quick:
        return 1
    return 3 if N * T * H >= 64 * 200 * 512 else 5


def _use_threads(threads):
    """Set the thread count of NumPy's BLAS and of torch. BLAS reads it only when NumPy is imported,
    so the script runs itself again with the variables set (once: the child finds them set)."""
    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    if any(os.environ.get(name) != str(threads) for name in names):
        env = {**os.environ, **{name: str(threads) for name in names}}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    torch.set_num_threads(threads)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (smoke run)")
    parser.add_argument("--threads", type=int, help="BLAS and torch threads (default: the libraries' own)")
    args = parser.parse_args()
    if args.threads:
        _use_threads(args.threads)
    rng = np.random.default_rng(0)
    blas_threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"numpy {np.__version__} (OpenBLAS threads: {blas_threads}), torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), float32, CPU; forward + backward; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'cell':<5} {'N':>3} {'T':>4} {'D':>3} {'H':>4} {'numpy ms':>9} {'torch.nn ms':>12} "
          f"{'ratio':>6} {'target':>7}")
    for N, T, D, H in QUICK if args.quick else FULL:
        for cell in CELLS:
            t_np, t_torch = compare(cell, N, T, D, H, repeats_for(N, T, H, args.quick), rng)
            target = f"{TARGETS[cell]:.1f}x" if H == 256 else ""
            print(f"{cell:<5} {N:>3} {T:>4} {D:>3} {H:>4} {1e3 * t_np:>9.1f} {1e3 * t_torch:>12.1f} "
                  f"{t_np / t_torch:>5.2f}x {target:>7}", flush=True)


if __name__ == "__main__":
    main()
