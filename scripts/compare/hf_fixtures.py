#!/usr/bin/env python3
"""Write the reference fixtures that test/gpu/fixtures.gpu.ts checks our engine against, computed
by transformers itself (llm.c's test_gpt2.c checks its C model against a dump PyTorch wrote):

  test/fixtures/gpt2_tiny.safetensors  GPT2LMHeadModel   (vocab 61, 16 positions, 2 layers, 2 heads, embd 32)
  test/fixtures/bert_tiny.safetensors  BertForPreTraining (vocab 61, 16 positions, 2 layers, 2 heads, hidden 32,
                                                           intermediate 64, post-LN, MLM + NSP heads)

Each file holds, in float32 (inputs int32):
  the inputs        GPT-2: input_ids (B, T), labels (B, T) = input_ids (transformers shifts them);
                    BERT: input_ids, token_type_ids, attention_mask (B, T; right padding, as our
                    engine takes it: a length per row), labels (B, T; -100 off the MLM selection and
                    on padding), next_sentence_label (B)
  every parameter   under transformers' names (model.named_parameters(): the tied lm_head.weight /
                    cls.predictions.decoder.* are the same tensors as the word embeddings and
                    cls.predictions.bias, so they are not repeated)
  the outputs       GPT-2: logits (B, T, V), loss (1); BERT: prediction_logits (B, T, V),
                    seq_relationship_logits (B, 2), loss (1) = MLM + NSP, as transformers returns it
  every gradient    grad.<parameter name>: d loss / d parameter from loss.backward()
  __metadata__      format "pt", the model class, the config (config.to_json_string()), the
                    transformers and torch versions, B and T.

The models: transformers' own seeded init (torch.manual_seed(0)) with initializer_range 0.1
(larger than the default 0.02, so the logits are far from uniform and the gradients well above
float32 rounding), then every 1-D parameter (biases, LayerNorm weights and biases) plus N(0, 0.1²)
from a seeded generator, so no bias or gain is trivially 0 or 1 and a layout slip shows in the
forward pass too. Dropout 0, eval mode, eager attention, activation gelu_new (our GELU is the tanh
form), one CPU thread and deterministic algorithms, so a rerun writes byte-identical files with
the same transformers and torch.

Written with transformers 5.17.0 and torch 2.13.0+cpu (CPU). PyPI is not reachable from this
machine, but its wheel store is on disk; to regenerate (no network):

  python3 -m venv /tmp/hfenv
  /tmp/hfenv/bin/pip install --no-index --find-links /opt/wheels --find-links /opt/pypi/files \\
      'torch==2.13.0+cpu' 'transformers==5.17.0'
  /tmp/hfenv/bin/python scripts/compare/hf_fixtures.py            # or --out DIR

then run `SHADERGRAD_BROWSER=bundled SHADERGRAD_GPU_FILES=fixtures node --import tsx --test test/gpu.test.ts`.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, import_transformers, read_safetensors, write_safetensors  # noqa: E402

INIT_STD = 0.1  # initializer_range
NOISE_1D = 0.1  # std of the noise added to every 1-D parameter


def setup_torch():
    import torch  # noqa: PLC0415
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    return torch


def perturb_1d(torch, model, seed):
    """Every 1-D parameter += N(0, NOISE_1D²), drawn in named_parameters order from `seed`."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in model.named_parameters():
            if p.dim() == 1:
                p.add_(torch.randn(p.shape, generator=g) * NOISE_1D)


def dump(torch, transformers, model, inputs, outputs, loss, meta):
    """The tensors of one fixture: inputs (int32), parameters, outputs, loss and grad.<name>."""
    loss.backward()
    t = {k: v.numpy().astype(np.int32) for k, v in inputs.items()}
    for k, v in outputs.items():
        t[k] = v.detach().numpy().astype(np.float32)
    t["loss"] = loss.detach().reshape(1).numpy().astype(np.float32)
    for name, p in model.named_parameters():
        t[name] = p.detach().numpy().astype(np.float32)
        if p.grad is None:
            raise RuntimeError(f"{name} has no gradient")
        t[f"grad.{name}"] = p.grad.numpy().astype(np.float32)
    meta = {"format": "pt", "model": type(model).__name__, "config": model.config.to_json_string(use_diff=False),
            "transformers": transformers.__version__, "torch": torch.__version__, **{k: str(v) for k, v in meta.items()}}
    return t, meta


def gpt2_fixture(torch, transformers):
    from transformers import GPT2Config, GPT2LMHeadModel  # noqa: PLC0415
    B, T = 2, 16
    cfg = GPT2Config(vocab_size=61, n_positions=16, n_embd=32, n_layer=2, n_head=2, activation_function="gelu_new",
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, layer_norm_epsilon=1e-5, initializer_range=INIT_STD,
                     tie_word_embeddings=True, bos_token_id=0, eos_token_id=0)
    torch.manual_seed(0)
    model = GPT2LMHeadModel._from_config(cfg, attn_implementation="eager").eval()
    assert model.lm_head.weight is model.transformer.wte.weight, "lm_head is not tied to wte"
    perturb_1d(torch, model, 1)
    g = torch.Generator().manual_seed(2)
    ids = torch.randint(0, cfg.vocab_size, (B, T), generator=g)
    out = model(input_ids=ids, labels=ids)
    return dump(torch, transformers, model, {"input_ids": ids, "labels": ids}, {"logits": out.logits}, out.loss, {"B": B, "T": T})


def bert_inputs(torch, V, B, T, lengths):
    """Right-padded rows (pad id 0) of lengths `lengths`, segment 0 then 1 (0 on padding), about a
    third of the real positions after [CLS] selected for MLM with random targets, NSP labels."""
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(1, V, (B, T), generator=g)
    real = torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]
    ids[~real] = 0
    types = ((torch.arange(T)[None, :] >= (torch.tensor(lengths)[:, None] + 1) // 2) & real).long()
    pick = (torch.rand((B, T), generator=g) < 0.35) & real
    pick[:, 0] = False
    labels = torch.where(pick, torch.randint(0, V, (B, T), generator=g), torch.full((B, T), -100))
    nsp = torch.tensor([0, 1, 1])
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": real.long(), "labels": labels, "next_sentence_label": nsp}


def bert_fixture(torch, transformers):
    from transformers import BertConfig, BertForPreTraining  # noqa: PLC0415
    B, T, lengths = 3, 12, [12, 9, 5]
    cfg = BertConfig(vocab_size=61, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                     hidden_act="gelu_new", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                     max_position_embeddings=16, type_vocab_size=2, layer_norm_eps=1e-12, initializer_range=INIT_STD,
                     pad_token_id=0, position_embedding_type="absolute")
    torch.manual_seed(0)
    model = BertForPreTraining._from_config(cfg, attn_implementation="eager").eval()
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight, "decoder is not tied"
    assert model.cls.predictions.decoder.bias is model.cls.predictions.bias, "decoder bias is not cls.predictions.bias"
    perturb_1d(torch, model, 1)
    x = bert_inputs(torch, cfg.vocab_size, B, T, lengths)
    out = model(**x)
    outs = {"prediction_logits": out.prediction_logits, "seq_relationship_logits": out.seq_relationship_logits}
    return dump(torch, transformers, model, x, outs, out.loss, {"B": B, "T": T, "lengths": json.dumps(lengths)})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "test", "fixtures"), help="folder to write the two files to")
    a = ap.parse_args()
    transformers = import_transformers()
    torch = setup_torch()
    os.makedirs(a.out, exist_ok=True)
    for name, make in (("gpt2_tiny", gpt2_fixture), ("bert_tiny", bert_fixture)):
        tensors, meta = make(torch, transformers)
        path = os.path.join(a.out, f"{name}.safetensors")
        write_safetensors(path, tensors, meta)
        back = read_safetensors(path)
        assert sorted(back) == sorted(tensors) and all(np.array_equal(back[k], tensors[k]) for k in tensors)
        n = sum(1 for k in tensors if k.startswith("grad."))
        print(f"wrote {os.path.relpath(path)}: {os.path.getsize(path)} bytes, {n} parameters and their gradients, "
              f"loss {tensors['loss'][0]:.6f} ({meta['model']}, transformers {meta['transformers']}, torch {meta['torch']})")


if __name__ == "__main__":
    main()
