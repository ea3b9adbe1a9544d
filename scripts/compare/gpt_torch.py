#!/usr/bin/env python3
"""Check our GPT against PyTorch: a checkpoint folder loads as Hugging Face GPT-2, and training
here reaches the validation loss PyTorch reaches with the same configuration.

  /usr/bin/python3 scripts/compare/gpt_torch.py load DIR [--prompt P] [--tokens 200] [--corpus FILE]
                                                     [--continue-steps N] [--no-generate] [--json FILE]
      Loads DIR's config.json + model.safetensors + tokenizer.json (written by
      `npm run train -- gpt`) into a GPT-2 written with transformers' module names and layouts
      (transformer.wte / wpe / h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj} /
      ln_f, Conv1D (in, out) weights, gelu_new, LayerNorm eps 1e-5, lm_head tied to wte), strictly:
      every tensor used, none missing, every shape right. With transformers installed it also
      loads DIR with GPT2LMHeadModel.from_pretrained (no missing or unexpected keys), compares
      logits and runs the checks below with it; without, it says so and uses the module. Then (1) greedy generation of --tokens from --prompt must equal
      `npm run generate -- DIR --prompt P --temperature 0 --tokens N` (run here, in Chromium;
      --no-generate skips it); (2) with --corpus, the loss on the 8 fixed validation batches our
      trainer reports (metrics.json val_loss / val_accuracy, windows from the same counter-based
      generator, mirrored below) must match ours; (3) with --continue-steps N, training goes on
      for N AdamW steps in PyTorch (lr/10) and the loss on those batches is shown again.

  /usr/bin/python3 scripts/compare/gpt_torch.py train --corpus FILE --ours DIR [DIR …] [--seeds 1 2 3 4 5]
                                                      [--init torch|ours] [--out report.json]
      Trains the configuration of our checkpoints (read from their config.json: layers, heads,
      embd, block, batch, steps, lr; no dropout) in PyTorch with our hyperparameters (as
      src/models/gpt_train.ts, src/optim: N(0, 0.02) init with residual projections
      0.02/√(2·layers), AdamW (0.9, 0.95) eps 1e-8, weight decay 0.1 on rank ≥ 2 parameters, warmup
      min(100, steps/10) then cosine to lr/10, global-norm clip 1.0, char vocabulary = sorted code
      points, 90/10 split, random windows), once per seed, then scores the torch models and our
      checkpoints with one evaluator: mean next-char cross-entropy over every non-overlapping
      block-window of the validation split (float64). Prints a table and writes a JSON report.
      --init torch (default): torch.manual_seed init and torch.randint batches (independent runs,
      as nanoGPT); --init ours: our exact initial weights and batch order (src/util/prng.ts
      mirrored), so torch seed s retraces our seed s up to float rounding.

Needs torch and numpy only (a tiny safetensors reader is below). CPU.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_np import read_safetensors  # noqa: E402
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EVAL_SEED = 0x5EED  # gpt_train.ts: the fixed validation batches
DATA_STREAM = 0xDA7A  # gpt_train.ts: the training batch generator's stream

# ---- src/util/prng.ts, vectorised (uint64 arrays holding 32-bit words) ----------------------

M32 = np.uint64(0xFFFFFFFF)


def mix32(x):
    x = x & M32
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & M32
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & M32
    x ^= x >> np.uint64(16)
    return x


class Rng:
    """Our counter-based generator: word = hash(seed, stream, counter)."""

    def __init__(self, seed, stream=0):
        h = mix32(np.uint64((seed ^ 0x9E3779B9) & 0xFFFFFFFF))
        self.key = mix32((h ^ np.uint64(stream)) + np.uint64(0x85EBCA6B))
        self.counter = 0

    def next(self, n):
        """n uniforms in [0, 1) (24 bits, as Rng.next)."""
        c = np.arange(self.counter, self.counter + n, dtype=np.uint64) & M32
        self.counter += n
        w = mix32(((self.key ^ c) + np.uint64(0xC2B2AE35)) & M32)
        return (w >> np.uint64(8)).astype(np.float64) / 16777216.0

    def int(self, bound, n):
        return np.floor(self.next(n) * bound).astype(np.int64)

    def normal(self, n, std):
        """Float32 N(0, std²) by Box-Muller, two draws per value (nn/init.ts normal)."""
        u = self.next(2 * n).reshape(n, 2)
        z = np.sqrt(-2.0 * np.log(np.maximum(u[:, 0], 1e-12))) * np.cos(2.0 * math.pi * u[:, 1])
        return (std * z).astype(np.float32)


# ---- safetensors and our files ---------------------------------------------------------------

class CharVocab:
    """src/text/char.ts: id = index in the sorted distinct code points (tokenizer.json 'chars')."""

    def __init__(self, chars):
        self.chars = list(chars)
        self.ids = {c: i for i, c in enumerate(self.chars)}

    @staticmethod
    def train(text):
        return CharVocab(sorted(set(text)))

    def encode(self, text):
        return np.array([self.ids[c] for c in text], dtype=np.int64)

    def decode(self, ids):
        return "".join(self.chars[i] for i in ids)


def read_dir(d):
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(d, "tokenizer.json")) as f:
        tok = json.load(f)
    if tok.get("kind") != "char" or tok.get("unk"):
        raise ValueError(f"{d}: only char tokenizers without [UNK] are supported here")
    return cfg, CharVocab(tok["chars"])


# ---- GPT-2 with transformers' names and layouts -----------------------------------------------

class Conv1D(nn.Module):
    """transformers.pytorch_utils.Conv1D: weight (in, out), y = x·W + b."""

    def __init__(self, nx, nf):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(*x.shape[:-1], -1)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.c_attn = Conv1D(d, 3 * d)
        self.c_proj = Conv1D(d, d)

    def forward(self, x):  # x is (B, T, D)
        B, T, D = x.shape
        q, k, v = self.c_attn(x).split(D, dim=2)  # [q | k | v] along the output axis
        q, k, v = (t.view(B, T, self.heads, D // self.heads).transpose(1, 2) for t in (q, k, v))
        s = (q @ k.transpose(-1, -2)) / math.sqrt(D // self.heads)
        s = s.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
        y = (F.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, D)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.c_fc = Conv1D(d, 4 * d)
        self.c_proj = Conv1D(4 * d, d)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=1e-5)
        self.attn = Attention(d, heads)
        self.ln_2 = nn.LayerNorm(d, eps=1e-5)
        self.mlp = MLP(d)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c["vocab_size"], c["n_embd"])
        self.wpe = nn.Embedding(c["n_positions"], c["n_embd"])
        self.h = nn.ModuleList(Block(c["n_embd"], c["n_head"]) for _ in range(c["n_layer"]))
        self.ln_f = nn.LayerNorm(c["n_embd"], eps=1e-5)


class GPT2LMHead(nn.Module):
    """GPT2LMHeadModel's parameter tree (no dropout: our runs here use none)."""

    def __init__(self, c):
        super().__init__()
        for k in ("activation_function", "layer_norm_epsilon"):
            want = {"activation_function": "gelu_new", "layer_norm_epsilon": 1e-5}[k]
            if c.get(k, want) != want:
                raise ValueError(f"config {k} = {c[k]!r}, this model has {want!r}")
        self.config = c
        self.transformer = Transformer(c)
        self.lm_head = nn.Linear(c["n_embd"], c["vocab_size"], bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tie_word_embeddings

    def forward(self, ids):  # ids (B, T) → logits (B, T, V)
        t = self.transformer
        x = t.wte(ids) + t.wpe(torch.arange(ids.shape[1]))
        for b in t.h:
            x = b(x)
        return self.lm_head(t.ln_f(x))

    def init_nanogpt(self):
        """N(0, 0.02) weights and embeddings, residual projections 0.02/√(2L), biases 0, LN 1/0."""
        std = 0.02
        for name, p in self.named_parameters():  # wte once (tied)
            if p.dim() >= 2:
                s = std / math.sqrt(2 * self.config["n_layer"]) if name.endswith("c_proj.weight") else std
                nn.init.normal_(p, 0.0, s)
            elif ".ln_" in name or "ln_f" in name:
                nn.init.ones_(p) if name.endswith("weight") else nn.init.zeros_(p)
            else:
                nn.init.zeros_(p)

    def init_ours(self, seed):
        """Our exact initial weights: gpt.ts gptLayers draws, in this order, from Rng(seed)."""
        c = self.config
        D, L, rng = c["n_embd"], c["n_layer"], Rng(seed)
        std, out = 0.02, 0.02 / math.sqrt(2 * c["n_layer"])
        sd = {"transformer.wte.weight": rng.normal(c["vocab_size"] * D, std).reshape(-1, D),
              "transformer.wpe.weight": rng.normal(c["n_positions"] * D, std).reshape(-1, D)}
        for i in range(L):
            q, k, v, o = (rng.normal(D * D, s).reshape(D, D) for s in (std, std, std, out))
            sd[f"transformer.h.{i}.attn.c_attn.weight"] = np.concatenate([q, k, v], axis=1)
            sd[f"transformer.h.{i}.attn.c_proj.weight"] = o
            sd[f"transformer.h.{i}.mlp.c_fc.weight"] = rng.normal(D * 4 * D, std).reshape(D, 4 * D)
            sd[f"transformer.h.{i}.mlp.c_proj.weight"] = rng.normal(4 * D * D, out).reshape(4 * D, D)
        self.init_nanogpt()  # biases and LayerNorms
        with torch.no_grad():
            for n, a in sd.items():
                self.get_parameter(n).copy_(torch.from_numpy(a))


def load_strict(model, tensors):
    """Copy every tensor into the model; error on any missing, unexpected or misshapen one."""
    want = {n: tuple(p.shape) for n, p in model.state_dict().items() if n != "lm_head.weight"}
    missing = sorted(set(want) - set(tensors))
    extra = sorted(set(tensors) - set(want) - {"lm_head.weight"})
    bad = [f"{n} {tuple(tensors[n].shape)} ≠ {want[n]}" for n in want if n in tensors and tuple(tensors[n].shape) != want[n]]
    if missing or extra or bad:
        raise ValueError(f"model.safetensors does not fit GPT-2: missing {missing}, unexpected {extra}, shapes {bad}")
    with torch.no_grad():
        for n in want:
            model.get_parameter(n).copy_(torch.from_numpy(np.array(tensors[n])))
    return len(want)


def load_model(d):
    cfg, vocab = read_dir(d)
    if cfg.get("vocab_size") != len(vocab.chars):
        raise ValueError(f"{d}: vocab_size {cfg.get('vocab_size')} ≠ {len(vocab.chars)} tokenizer chars")
    m = GPT2LMHead(cfg)
    n = load_strict(m, read_safetensors(os.path.join(d, "model.safetensors")))
    return m.eval(), cfg, vocab, n


# ---- data and evaluation -----------------------------------------------------------------------

def split(ids):
    n = len(ids) * 9 // 10  # splitTokens: floor(0.9·n)
    return ids[:n], ids[n:]


def windows(data, starts, T):
    x = np.stack([data[s:s + T] for s in starts])
    y = np.stack([data[s + 1:s + T + 1] for s in starts])
    return torch.from_numpy(x), torch.from_numpy(y)


@torch.no_grad()
def mean_loss(model, x, y, chunk=256, dtype=torch.float64):
    """Mean cross-entropy (and top-1 accuracy) over windows x, y (N, T), in float64 by default."""
    m = model.to(dtype)
    nll, right = 0.0, 0
    for i in range(0, len(x), chunk):
        logits = m(x[i:i + chunk])
        nll += F.cross_entropy(logits.flatten(0, 1), y[i:i + chunk].flatten(), reduction="sum").item()
        right += (logits.argmax(-1) == y[i:i + chunk]).sum().item()
    model.to(torch.float32)
    return nll / y.numel(), right / y.numel()


def full_val(val, T):
    """Every non-overlapping block-window of the validation split: the one evaluator for both sides."""
    return windows(val, range(0, len(val) - T - 1 + 1, T), T)


def our_eval_batches(val, B, T, iters=8):
    """gpt_train.ts evalBatches: iters·B windows from Rng(0x5eed), starts uniform in [0, span]."""
    rng = Rng(EVAL_SEED)
    return windows(val, rng.int(max(0, len(val) - T - 1) + 1, iters * B), T)


@torch.no_grad()
def greedy(model, ids, tokens, T):
    """Greedy decoding, cropping the context to the last T tokens (as nanoGPT and our generate)."""
    seq = list(ids)
    for _ in range(tokens):
        seq.append(int(model(torch.tensor([seq[-T:]]))[0, -1].argmax()))
    return seq


class HfLogits(nn.Module):
    """transformers' model called like ours: ids → logits."""

    def __init__(self, hf):
        super().__init__()
        self.hf = hf

    def forward(self, ids):
        return self.hf(ids).logits


# ---- load ----------------------------------------------------------------------------------------

def serving_model(a, report):
    """Our files in the module above (strict), then, where transformers is installed, in GPT2LMHeadModel."""
    model, cfg, vocab, n = load_model(a.dir)
    T = cfg["n_positions"]
    print(f"loaded {a.dir}: {n} tensors, all used, none missing (GPT-2 names and layouts); "
          f"{sum(p.numel() for p in model.parameters())} parameters")
    report["tensors"] = n
    try:
        import transformers  # noqa: PLC0415
        from transformers import GPT2LMHeadModel  # noqa: PLC0415
    except ImportError:
        print("transformers is not installed: the checks below use the transformers-compatible module in "
              "this file (same names, layouts and math), not GPT2LMHeadModel itself")
        report["model"] = "fallback module (transformers not installed)"
        return model, cfg, vocab
    hf, info = GPT2LMHeadModel.from_pretrained(a.dir, output_loading_info=True)
    if any(info.get(k) for k in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs")):
        sys.exit(f"FAIL: from_pretrained reported {info}")
    hf.eval()
    x = torch.randint(0, cfg["vocab_size"], (4, T), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        diff = (hf(x).logits - model(x)).abs().max().item()
    print(f"transformers {transformers.__version__} GPT2LMHeadModel.from_pretrained({a.dir}): no missing, unexpected or "
          f"misshapen tensors; max |logits difference| against the module in this file on 4 random {T}-token windows "
          f"{diff:.1e}; the checks below use GPT2LMHeadModel")
    report.update(model=f"transformers {transformers.__version__} GPT2LMHeadModel.from_pretrained", max_logit_diff_vs_fallback=diff)
    return HfLogits(hf), cfg, vocab


def check_val(a, model, val, B, T, report):
    """The loss on the 8 fixed validation batches our trainer scores must equal metrics.json's."""
    path = os.path.join(a.dir, "metrics.json")
    metrics = json.load(open(path)) if os.path.exists(path) else {}
    loss, acc = mean_loss(model, *our_eval_batches(val, B, T), dtype=torch.float32)
    ours = metrics.get("val_loss", float("nan"))
    print(f"val loss on our 8 fixed validation batches (float32): torch {loss:.6f}, ours (metrics.json) {ours:.6f}, "
          f"|difference| {abs(loss - ours):.1e}; top-1 accuracy torch {acc:.5f}, ours {metrics.get('val_accuracy', float('nan')):.5f}")
    report.update(torch_val_loss=loss, ours_val_loss=ours, torch_val_accuracy=acc, ours_val_accuracy=metrics.get("val_accuracy"))
    if not abs(loss - ours) <= 1e-4:
        sys.exit(f"FAIL: validation loss differs by {abs(loss - ours):.2e} (> 1e-4)")


def check_greedy(a, model, vocab, T, report):
    """Greedy tokens here must equal `npm run generate -- DIR --temperature 0` (KV cache, then crop)."""
    mine = vocab.decode(greedy(model, vocab.encode(a.prompt), a.tokens, T))
    cmd = ["npm", "run", "--silent", "generate", "--", a.dir, "--prompt", a.prompt, "--temperature", "0", "--tokens", str(a.tokens)]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"npm run generate failed ({r.returncode}):\n{r.stderr}")
    theirs = r.stdout[:-1] if r.stdout.endswith("\n") else r.stdout
    first = next((i for i, (p, q) in enumerate(zip(mine, theirs)) if p != q), min(len(mine), len(theirs)))
    ok = mine == theirs
    print(f"greedy {a.tokens} tokens from {a.prompt!r}: {'identical' if ok else f'differ from character {first}'} "
          f"(torch vs `npm run generate`)\n--- torch ---\n{mine}\n--- ours ---\n{theirs}\n---")
    report.update(greedy_identical=ok, greedy_first_difference=None if ok else first, greedy_text=mine)
    if not ok:
        sys.exit("FAIL: greedy generation differs")


def continue_training(a, model, cfg, tr, val, B, T, report):
    """Keep training in PyTorch from the loaded weights (fresh AdamW at lr/10, our other settings)."""
    lr = cfg.get("shadergrad", {}).get("run", {}).get("optim", {}).get("lr", 1e-3) / 10
    params = list(model.parameters())
    opt = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
                             {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.95), eps=1e-8)
    torch.manual_seed(0)
    model.train()
    for _ in range(a.continue_steps):
        x, y = windows(tr, torch.randint(len(tr) - T, (B,)).numpy(), T)
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
    model.eval()
    after, _ = mean_loss(model, *our_eval_batches(val, B, T), dtype=torch.float32)
    print(f"continued {a.continue_steps} AdamW steps in PyTorch (lr {lr:g}): val loss on the same batches "
          f"{report['torch_val_loss']:.4f} → {after:.4f}")
    report.update(continue_steps=a.continue_steps, val_loss_after_continue=after)


def cmd_load(a):
    report = {"dir": a.dir}
    model, cfg, vocab = serving_model(a, report)
    T = cfg["n_positions"]
    B = cfg.get("shadergrad", {}).get("run", {}).get("optim", {}).get("batch", 8)
    if a.corpus:
        with open(a.corpus, encoding="utf-8") as f:
            tr, val = split(vocab.encode(f.read()))
        check_val(a, model, val, B, T, report)
    if not a.no_generate:
        check_greedy(a, model, vocab, T, report)
    if a.corpus and a.continue_steps:
        continue_training(a, model, cfg, tr, val, B, T, report)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=2)
    print("OK")


# ---- train -----------------------------------------------------------------------------------------

def lr_at(t, lr, warmup, total):
    """src/optim/schedule.ts warmupCosine at 1-based step t, min lr = lr/10."""
    lo = lr / 10
    if t <= warmup:
        return lr * t / max(1, warmup)
    if t >= total:
        return lo
    return lo + 0.5 * (1 + math.cos(math.pi * (t - warmup) / max(1, total - warmup))) * (lr - lo)


def train_torch(h, train, seed, init):
    """One run of our training loop in PyTorch; returns the model and (step, loss) every 10 steps."""
    torch.manual_seed(seed)
    m = GPT2LMHead({"vocab_size": h["vocab"], "n_positions": h["block"], "n_embd": h["embd"], "n_layer": h["layers"], "n_head": h["heads"]})
    if init == "ours":
        m.init_ours(seed)
    else:
        m.init_nanogpt()
    params = [p for p in m.parameters()]  # wte once (tied)
    opt = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
                             {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
                            lr=h["lr"], betas=(0.9, 0.95), eps=1e-8)
    B, T, steps = h["batch"], h["block"], h["steps"]
    span = len(train) - T - 1
    data_rng = Rng(seed, DATA_STREAM)
    hist = []
    for t in range(1, steps + 1):
        starts = data_rng.int(span + 1, B) if init == "ours" else torch.randint(span + 1, (B,)).numpy()
        x, y = windows(train, starts, T)
        loss = F.cross_entropy(m(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        for g in opt.param_groups:
            g["lr"] = lr_at(t, h["lr"], h["warmup"], steps)
        opt.step()
        if t % 10 == 0:
            hist.append((t, loss.item()))
    return m.eval(), hist


def hyper_of(d):
    cfg, _ = read_dir(d)
    run = cfg["shadergrad"]["run"]
    mo, op = run["model"], run["optim"]
    if mo.get("dropout", 0) != 0 or not mo.get("bias", True):
        raise ValueError(f"{d}: only runs without dropout and with biases are mirrored here")
    return {"vocab": mo["vocabSize"], "block": mo["block"], "layers": mo["layers"], "heads": mo["heads"], "embd": mo["embd"],
            "batch": op["batch"], "lr": op["lr"], "warmup": op["warmup"], "steps": op["decaySteps"],
            "trained_steps": cfg["shadergrad"]["progress"]["step"], "seed": op["seed"]}


def stats(xs):
    xs = np.array(xs, dtype=np.float64)
    return {"mean": float(xs.mean()), "std": float(xs.std(ddof=1)) if len(xs) > 1 else 0.0, "min": float(xs.min()), "max": float(xs.max()), "n": len(xs)}


def score_ours(dirs, hs, x, y):
    rows = []
    for d, h in zip(dirs, hs):
        loss, acc = mean_loss(load_model(d)[0], x, y)
        metrics = json.load(open(os.path.join(d, "metrics.json")))
        rows.append({"side": "ours", "seed": h["seed"], "dir": d, "val_loss": loss, "val_accuracy": acc, "adapter": metrics.get("adapter"),
                     "seconds": metrics.get("seconds"), "metrics_val_loss": metrics.get("val_loss"), "loss_curve": metrics.get("lossCurve")})
        print(f"ours  seed {h['seed']}: val loss {loss:.4f}, accuracy {acc:.4f} ({d}, {metrics.get('adapter')})")
    return rows


def score_torch(a, h, tr, x, y, ours):
    rows = []
    for s in a.seeds:
        t0 = time.time()
        m, hist = train_torch(h, tr, s, a.init)
        loss, acc = mean_loss(m, x, y)
        rows.append({"side": "torch", "seed": s, "init": a.init, "val_loss": loss, "val_accuracy": acc,
                     "seconds": time.time() - t0, "train_loss_last": hist[-1][1], "train_history": hist})
        print(f"torch seed {s}: val loss {loss:.4f}, accuracy {acc:.4f} (last train loss {hist[-1][1]:.4f}, {time.time() - t0:.0f} s CPU)")
        twin = next((r for r in ours if r["seed"] == s), None)
        if a.init == "ours" and twin and twin["loss_curve"]:  # same init and batches: the loss curves should coincide
            d = [abs(c - l) for c, (_, l) in zip(twin["loss_curve"], hist)]  # both every 10 steps
            rows[-1]["train_loss_vs_ours"] = {"max_abs_diff_steps_10_to_100": max(d[:10]), "max_abs_diff": max(d)}
            print(f"  train loss every 10 steps vs ours seed {s} (same init and batches): max |difference| "
                  f"{max(d[:10]):.1e} over steps 10…100, {max(d):.1e} over the whole run")
    return rows


def summarize(ours_rows, torch_rows, init):
    ours = stats([r["val_loss"] for r in ours_rows])
    tor = stats([r["val_loss"] for r in torch_rows])
    # ours matches when its mean is within 2 standard errors of torch's mean, the noise being
    # torch's run-to-run spread (it has more seeds): |Δ| ≤ 2·σ_torch·√(1/n_torch + 1/n_ours)
    se = tor["std"] * math.sqrt(1 / tor["n"] + 1 / ours["n"])
    diff = ours["mean"] - tor["mean"]
    within = abs(diff) <= 2 * se if min(ours["n"], tor["n"]) >= 2 else None
    print("\n| side | runs | val loss mean | std | min … max |\n|---|---|---|---|---|")
    for name, st in (("ours (WebGPU)", ours), (f"torch (CPU, init {init})", tor)):
        print(f"| {name} | {st['n']} | {st['mean']:.4f} | {st['std']:.4f} | {st['min']:.4f} … {st['max']:.4f} |")
    verdict = {True: "within run-to-run noise", False: "NOT within run-to-run noise", None: "(a verdict needs 2+ runs per side)"}[within]
    print(f"\nours − torch = {diff:+.4f} nats/char; 2 standard errors of torch's noise = {2 * se:.4f}: {verdict}")
    return {"ours": ours, "torch": tor, "difference": diff, "two_standard_errors": 2 * se, "within_noise": within}


def cmd_train(a):
    torch.set_num_threads(a.threads)
    with open(a.corpus, encoding="utf-8") as f:
        text = f.read()
    vocab = CharVocab.train(text)
    tr, val = split(vocab.encode(text))
    hs = [hyper_of(d) for d in a.ours]
    same = lambda h: {k: v for k, v in h.items() if k != "seed"}  # noqa: E731
    for d, h in zip(a.ours, hs):
        if same(h) != same(hs[0]) or h["trained_steps"] != h["steps"]:
            raise ValueError(f"{d}: configuration {h} differs from {a.ours[0]}: {hs[0]} (or the run stopped early)")
        if read_dir(d)[1].chars != vocab.chars:
            raise ValueError(f"{d}: its char vocabulary is not this corpus's")
    h = hs[0]
    print(f"config (from {a.ours[0]}): {same(h)}; corpus {len(tr)} train / {len(val)} val chars, vocab {len(vocab.chars)}")
    x, y = full_val(val, h["block"])
    print(f"evaluator: {len(x)} non-overlapping windows of {h['block']} = {y.numel()} validation targets, float64")
    ours = score_ours(a.ours, hs, x, y)
    torch_rows = score_torch(a, h, tr, x, y, ours)
    report = {"corpus": os.path.abspath(a.corpus), "config": same(h), "init": a.init, "torch_version": torch.__version__,
              "evaluator": f"all {len(x)} non-overlapping {h['block']}-windows of the last 10%, float64",
              **summarize(ours, torch_rows, a.init), "runs": ours + torch_rows}
    if a.out:
        with open(a.out, "w") as f:
            json.dump(report, f, indent=2)
        print(f"wrote {a.out}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    lo = sub.add_parser("load", help="load a checkpoint folder as GPT-2 and check it reproduces ours")
    lo.add_argument("dir")
    lo.add_argument("--prompt", default="ROMEO:\n")
    lo.add_argument("--tokens", type=int, default=200)
    lo.add_argument("--corpus", help="the training text: also check the validation loss against metrics.json")
    lo.add_argument("--no-generate", action="store_true", help="skip the greedy comparison (it starts Chromium)")
    lo.add_argument("--continue-steps", type=int, default=0, help="with --corpus: then train this many more steps in PyTorch")
    lo.add_argument("--json", help="write the results here")
    tr = sub.add_parser("train", help="train the same configuration in PyTorch and compare validation losses")
    tr.add_argument("--corpus", required=True)
    tr.add_argument("--ours", nargs="+", required=True, help="checkpoint folders of our runs (same config, different seeds)")
    tr.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    tr.add_argument("--init", choices=["torch", "ours"], default="torch")
    tr.add_argument("--threads", type=int, default=1)
    tr.add_argument("--out", help="write the JSON report here")
    a = p.parse_args()
    if a.cmd == "load":
        cmd_load(a)
    else:
        cmd_train(a)


if __name__ == "__main__":
    main()
