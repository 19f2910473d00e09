"""PyTorch reference of the `pnpm bench train-step` GPT train step.

The same function as rlts's `GptModel` (packages/backend-tfjs/src/gpt.ts) and the same train step as
`TrainableModel.trainStep` with the bench's AdamW settings, in eager PyTorch, float32:

- token + learned position embeddings (untied from the head), pre-LayerNorm blocks (eps 1e-5) of
  causal multi-head self-attention with one fused q/k/v projection (columns [q | k | v], head h owning
  columns h*dh .. (h+1)*dh - 1 of each) and an MLP with tanh-approximated GELU, every linear layer
  with a bias except the head; a final LayerNorm and a bias-free linear head;
- loss: mean next-token cross-entropy over every token after the first of each sequence
  (`languageModelLoss`);
- train step: zero_grad, forward, backward, global-norm gradient clip to 1 (rlts's default
  `maxGradNorm`), AdamW lr 3e-4, betas (0.9, 0.999), eps 1e-8, decoupled weight decay 0.1 on the
  parameters of rank >= 2 only, then the loss is read back as a float (rlts reads it too).

Usage (prints one JSON line):

    /usr/bin/python3 torch_reference.py [--threads 1,2] [--warmup 3] [--steps 10]
                                        [--init DIR] [--expect-parameters N]
    /usr/bin/python3 torch_reference.py --serve --threads N [--init DIR] ...

Each thread count is measured in its own process with OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and
MKL_NUM_THREADS set to it: torch.set_num_threads does not reach OpenBLAS's own thread pool, whose idle
workers would otherwise spin and inflate the process CPU time of a "one thread" run.

`--init DIR` loads the initial weights and the token batch written by the TypeScript bench
(DIR/manifest.json + DIR/data.bin) and reports the loss before and after the first train step, which
the bench compares with rlts's. `--serve` is the bench's mode: after start-up (and the warm-up steps)
it prints a `ready` JSON line, then answers each stdin line `steps K` with the times of K train steps.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CONFIG = dict(vocab_size=64, context_length=64, d_model=128, n_layers=4, n_heads=4, d_ff=512)
BATCH, SEQ_LEN = 64, 64


class Block(nn.Module):
    def __init__(self, d, n_heads, d_ff):
        super().__init__()
        self.n_heads = n_heads
        self.ln1 = nn.LayerNorm(d, eps=1e-5)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d, eps=1e-5)
        self.fc1 = nn.Linear(d, d_ff)
        self.fc2 = nn.Linear(d_ff, d)

    def forward(self, x, mask):
        B, T, d = x.shape
        H = self.n_heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        # [B, T, d] -> [B, H, T, dh]: head h owns columns h*dh .. (h+1)*dh - 1 of q, k and v.
        q, k, v = (t.view(B, T, H, d // H).transpose(1, 2) for t in (q, k, v))
        # Scaled dot-product attention with the causal mask (nanoGPT's explicit path; PyTorch 1.13 has
        # no fused kernel). rlts adds -1e9 above the diagonal: the same softmax in float32.
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d // H))
        att = att.masked_fill(mask[:T, :T], float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, d)  # heads concatenated in head order
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, vocab_size, context_length, d_model, n_layers, n_heads, d_ff):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, d_model)
        self.wpe = nn.Embedding(context_length, d_model)
        self.blocks = nn.ModuleList(Block(d_model, n_heads, d_ff) for _ in range(n_layers))
        self.lnf = nn.LayerNorm(d_model, eps=1e-5)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        causal = torch.ones(context_length, context_length, dtype=torch.bool).triu(1)
        self.register_buffer("mask", causal, persistent=False)  # True above the diagonal (future)
        # rlts's init: N(0, 0.02²), residual projections 0.02/sqrt(2L) (GPT-2), biases 0, LN (1, 0).
        for name, p in self.named_parameters():
            if ".ln" in name or name.startswith("lnf"):
                continue  # LayerNorm: nn.LayerNorm's (1, 0) already
            if name.endswith("bias"):
                nn.init.zeros_(p)
                continue
            std = 0.02 / math.sqrt(2 * n_layers) if name.endswith(("proj.weight", "fc2.weight")) else 0.02
            nn.init.normal_(p, 0.0, std)

    def forward(self, ids):
        T = ids.shape[1]
        x = self.wte(ids) + self.wpe.weight[:T]
        for block in self.blocks:
            x = block(x, self.mask)
        return self.head(self.lnf(x))  # logits [B, T, V] at every position, as rlts computes them

    def loss(self, ids):
        # languageModelLoss: logits at position t predict token t + 1; mean over B·(T - 1) tokens.
        logits = self(ids)[:, :-1]
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))

    def load_rlts(self, weights):
        """Copies rlts weights (name -> array, `W` stored [in, out]) into this model."""
        L = len(self.blocks)
        targets = {"wte": self.wte.weight, "wpe": self.wpe.weight, "lnf.gamma": self.lnf.weight,
                   "lnf.beta": self.lnf.bias, "head.w": self.head.weight}
        for l, b in enumerate(self.blocks):
            p = f"blocks.{l}"
            targets.update({
                f"{p}.ln1.gamma": b.ln1.weight, f"{p}.ln1.beta": b.ln1.bias,
                f"{p}.attn.wqkv": b.qkv.weight, f"{p}.attn.bqkv": b.qkv.bias,
                f"{p}.attn.wo": b.proj.weight, f"{p}.attn.bo": b.proj.bias,
                f"{p}.ln2.gamma": b.ln2.weight, f"{p}.ln2.beta": b.ln2.bias,
                f"{p}.mlp.w1": b.fc1.weight, f"{p}.mlp.b1": b.fc1.bias,
                f"{p}.mlp.w2": b.fc2.weight, f"{p}.mlp.b2": b.fc2.bias,
            })
        assert set(targets) == set(weights), f"weight names differ: {set(targets) ^ set(weights)}"
        assert len(targets) == 4 + 12 * L + 1
        with torch.no_grad():
            for name, array in weights.items():
                t = torch.from_numpy(array)
                # nn.Linear keeps W as [out, in] and nn.Embedding as [rows, d]; rlts's linear W is [in, out].
                is_linear = t.dim() == 2 and name not in ("wte", "wpe")
                targets[name].copy_(t.t() if is_linear else t)


def make_optimizer(model):
    # rlts AdamW: decoupled weight decay on rank >= 2 parameters only (nanoGPT), PyTorch's defaults
    # otherwise. foreach left at its default (the per-tensor loop on CPU in 1.13).
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=3e-4, betas=(0.9, 0.999), eps=1e-8)


def train_step(model, optimizer, ids):
    optimizer.zero_grad(set_to_none=True)
    loss = model.loss(ids)
    loss.backward()
    # TrainableModel.trainStep clips the global norm to maxGradNorm = 1 by default (clip_grad_norm_).
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss.item()


def read_init(folder):
    """Weights (name -> float32 array, in file order) and the int32 token batch written by the bench."""
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    raw = np.fromfile(os.path.join(folder, "data.bin"), dtype=np.uint8)
    weights, offset = {}, 0
    for entry in manifest["parameters"]:
        n = int(np.prod(entry["shape"]))
        weights[entry["name"]] = raw[offset:offset + 4 * n].view(np.float32).reshape(entry["shape"]).copy()
        offset += 4 * n
    shape = manifest["tokens"]["shape"]
    tokens = raw[offset:offset + 4 * int(np.prod(shape))].view(np.int32).reshape(shape)
    return weights, torch.from_numpy(tokens.astype(np.int64))


def blas_library():
    """The BLAS libtorch loaded (Linux), as folder/file: Debian's libblas.so.3 alternatives live in
    openblas-openmp/, openblas-pthread/ or blas/ (the reference BLAS, some 25x slower at matmul)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {os.path.realpath(line.split()[-1]) for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return "unknown"
    names = sorted({f"{os.path.basename(os.path.dirname(p))}/{os.path.basename(p)}" for p in paths})
    return ", ".join(n for n in names if "lapack" not in n) or "none found"


def timed_steps(model, optimizer, ids, k):
    wall, cpu = [], []
    for _ in range(k):
        w0, c0 = time.perf_counter(), time.process_time()
        train_step(model, optimizer, ids)
        # process_time counts every thread of this process: with one thread it is that thread's work,
        # whatever share of the cores other processes take (the clock of the single-threaded wasm run).
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    return wall, cpu


def worker(args):
    """One thread count in this process: build, check, warm up, then time (or serve) train steps."""
    n = args.threads[0]
    torch.set_num_threads(n)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    model = Gpt(**CONFIG)
    parameters = sum(p.numel() for p in model.parameters())
    if args.expect_parameters is not None and parameters != args.expect_parameters:
        sys.exit(f"parameter count {parameters} differs from rlts's {args.expect_parameters}")
    info = {"version": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_library(),
            "parameters": parameters}
    if args.init:
        weights, ids = read_init(args.init)
        model.load_rlts(weights)
    else:
        ids = torch.randint(0, CONFIG["vocab_size"], (BATCH, SEQ_LEN))
    assert ids.shape == (BATCH, SEQ_LEN)
    optimizer = make_optimizer(model)
    # The first two steps are warm-up steps too; with --init their losses are the parity check.
    info["initialLoss"] = train_step(model, optimizer, ids)
    info["lossAfterOneStep"] = train_step(model, optimizer, ids)
    for _ in range(max(0, args.warmup - 2)):
        train_step(model, optimizer, ids)
    info["blas"] = blas_library()  # now that a matmul has loaded it for sure
    if not args.serve:
        wall, cpu = timed_steps(model, optimizer, ids, args.steps)
        print(json.dumps({**info, "wallMs": wall, "cpuMs": cpu}), flush=True)
        return
    print(json.dumps({"ready": True, **info}), flush=True)
    for line in sys.stdin:
        command = line.split()
        if command[:1] == ["steps"]:
            wall, cpu = timed_steps(model, optimizer, ids, int(command[1]))
            print(json.dumps({"wallMs": wall, "cpuMs": cpu}), flush=True)
        elif command[:1] == ["quit"]:
            break


def thread_env(n):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(n)
    return env


def median(xs):
    return sorted(xs)[len(xs) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--warmup", default=3, type=int)
    parser.add_argument("--steps", default=10, type=int)
    parser.add_argument("--init", default=None)
    parser.add_argument("--expect-parameters", default=None, type=int)
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve or args.worker:
        if len(args.threads) != 1:
            sys.exit("--serve runs one thread count: pass --threads N")
        if os.environ.get("OMP_NUM_THREADS") != str(args.threads[0]):
            sys.exit(f"start with OMP_NUM_THREADS=OPENBLAS_NUM_THREADS={args.threads[0]}")
        worker(args)
        return
    # Standalone: one child process per thread count, one JSON line with the medians.
    out = {"benchmark": "train-step-torch", "batch": BATCH, "seqLen": SEQ_LEN, **CONFIG}
    for n in args.threads:
        command = [sys.executable, os.path.abspath(__file__), "--worker", "--threads", str(n),
                   "--warmup", str(args.warmup), "--steps", str(args.steps)]
        if args.init:
            command += ["--init", args.init]
        if args.expect_parameters is not None:
            command += ["--expect-parameters", str(args.expect_parameters)]
        run = subprocess.run(command, env=thread_env(n), stdout=subprocess.PIPE, check=True, text=True)
        r = json.loads(run.stdout.strip().splitlines()[-1])
        for key in ("version", "blas", "parameters", "initialLoss", "lossAfterOneStep"):
            out.setdefault(key, r[key])
        out[f"threads{n}StepMs"] = round(median(r["wallMs"]), 1)
        out[f"threads{n}CpuStepMs"] = round(median(r["cpuMs"]), 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
