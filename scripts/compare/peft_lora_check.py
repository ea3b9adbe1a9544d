#!/usr/bin/env python3
"""Check that a LoRA run's folder (`npm run train -- gpt --init BASE --lora R [--merge]`) is a
PEFT adapter that computes what our engine computed, with peft and transformers themselves:

  peft_lora_check.py RUN_DIR [--base BASE] [--prompt P] [--tokens 40] [--no-engine]

1. PeftModel.from_pretrained(GPT2LMHeadModel.from_pretrained(BASE), RUN_DIR): every tensor of
   adapter_model.safetensors lands in a LoRA weight of the model, bit for bit, and every LoRA
   weight of the model comes from the file (nothing left at PEFT's initial values).
2. Greedy decoding of --tokens from --prompt with that PeftModel gives the ids and text of
   `npm run generate -- RUN_DIR --prompt P --temperature 0 --tokens N --json` (our engine, in
   Chromium; --no-engine skips it).
3. With RUN_DIR/merged (--merge): GPT2LMHeadModel.from_pretrained(RUN_DIR/merged) gives the
   PeftModel's logits on the prompt within 1e-4 (our merge is PEFT's merge_and_unload).

BASE defaults to adapter_config.json's base_model_name_or_path. Needs torch, transformers and
peft (see peft_lora_fixture.py for a virtualenv from this machine's wheels). Exits non-zero on
any mismatch. CPU.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import fail, import_transformers, read_safetensors, run_npm  # noqa: E402

TOL = 1e-4


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir")
    p.add_argument("--base")
    p.add_argument("--prompt", default="the cat")
    p.add_argument("--tokens", type=int, default=40)
    p.add_argument("--no-engine", action="store_true")
    a = p.parse_args()
    import_transformers()
    import numpy as np  # noqa: PLC0415
    import torch  # noqa: PLC0415
    from peft import PeftModel  # noqa: PLC0415
    from transformers import GPT2LMHeadModel, GPT2Tokenizer  # noqa: PLC0415

    with open(os.path.join(a.run_dir, "adapter_config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    base_dir = a.base or cfg["base_model_name_or_path"]
    base = GPT2LMHeadModel.from_pretrained(base_dir, dtype=torch.float32, attn_implementation="eager").eval()
    model = PeftModel.from_pretrained(base, a.run_dir).eval()

    # 1. the file's tensors are the model's LoRA weights, and nothing else is
    ours = read_safetensors(os.path.join(a.run_dir, "adapter_model.safetensors"))
    loaded = {k.replace(".default", ""): v for k, v in model.state_dict().items() if "lora_" in k}
    if set(loaded) != set(ours):
        fail(f"PEFT's LoRA weights and the file differ: only in PEFT {sorted(set(loaded) - set(ours))[:3]}, "
             f"only in the file {sorted(set(ours) - set(loaded))[:3]}")
    for k, v in ours.items():
        if not np.array_equal(loaded[k].detach().numpy(), v):
            fail(f"{k}: PEFT holds other values than the file")
    print(f"  1. {len(ours)} LoRA tensors (r={cfg['r']}, alpha={cfg['lora_alpha']}, "
          f"targets {cfg['target_modules']}) loaded into PeftModel exactly")

    tok = GPT2Tokenizer(os.path.join(base_dir, "vocab.json"), os.path.join(base_dir, "merges.txt"))
    ids = tok.encode(a.prompt)
    if len(ids) + a.tokens > base.config.n_positions:
        fail(f"{len(ids)} prompt tokens + --tokens {a.tokens} pass the model's {base.config.n_positions} positions "
             "(transformers does not crop the context as our generate does): give fewer --tokens")
    with torch.no_grad():
        out = model.generate(input_ids=torch.tensor([ids]), max_new_tokens=a.tokens, do_sample=False,
                             attention_mask=torch.ones(1, len(ids), dtype=torch.long), pad_token_id=0)
    want = tok.decode(out[0].tolist())
    if not a.no_engine:
        got = json.loads(run_npm("generate", "--", a.run_dir, "--base", base_dir, "--prompt", a.prompt,
                                 "--temperature", "0", "--tokens", str(a.tokens), "--json"))
        if got["ids"] != out[0].tolist() or got["text"] != want:
            fail(f"greedy decoding differs:\n  ours: {got['ids']} {got['text']!r}\n  PEFT: {out[0].tolist()} {want!r}")
        print(f"  2. greedy decoding of {a.tokens} tokens: our engine and PeftModel pick the same ids {got['ids'][:12]}…")

    merged_dir = os.path.join(a.run_dir, "merged")
    if os.path.isdir(merged_dir):
        merged = GPT2LMHeadModel.from_pretrained(merged_dir, dtype=torch.float32, attn_implementation="eager").eval()
        with torch.no_grad():
            x = torch.tensor([ids])
            d = (merged(x).logits - model(input_ids=x).logits).abs().max().item()
        if d > TOL:
            fail(f"merged/ logits differ from the PeftModel's by {d:.3g} > {TOL}")
        print(f"  3. merged/ in transformers vs PeftModel: max |Δlogit| {d:.2e}")
    print("OK")


if __name__ == "__main__":
    main()
