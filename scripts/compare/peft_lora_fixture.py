#!/usr/bin/env python3
"""Write test/fixtures/peft_gpt2_lora/: a LoRA adapter exactly as PEFT's save_pretrained lays it
out (adapter_config.json, adapter_model.safetensors) on top of the GPT-2 folder
test/fixtures/hf_gpt2_f16 (see hf_gpt2_folder_fixture.py), plus expected.json: the logits that
PeftModel (base widened to float32, adapter not merged) computes for that folder's prompt.
test/gpu/lora.gpu.ts loads the adapter with our reader (src/models/gpt/adapter.ts) into a LoRA
GptModel and checks our logits against these: PEFT's names, its (r, in) / (out, r) layouts, the
α/r scale and c_attn's fused q|k|v all have to be read right for them to agree.

The adapter: LoraConfig(r=4, lora_alpha=12, target_modules=[c_attn, c_proj, c_fc],
fan_in_fan_out=True, init_lora_weights=False) so that both A and B are random (PEFT's default
zero B would make the adapter invisible), torch.manual_seed(2).

Run in a throwaway virtualenv with torch, transformers and peft (wheels on this machine):
    python3 -m venv /tmp/hfenv && /tmp/hfenv/bin/pip install --no-index --find-links /opt/wheels \
        --find-links /opt/pypi/files 'torch==2.13.0+cpu' 'transformers==5.17.0' 'peft==0.21.0'
    /tmp/hfenv/bin/python scripts/compare/peft_lora_fixture.py
"""
import json
import os

import peft
import torch
import transformers
from peft import LoraConfig, get_peft_model
from transformers import GPT2LMHeadModel

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE = os.path.join(REPO, "test", "fixtures", "hf_gpt2_f16")
OUT = os.path.join(REPO, "test", "fixtures", "peft_gpt2_lora")


def main():
    torch.manual_seed(2)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    with open(os.path.join(BASE, "expected.json"), encoding="utf-8") as f:
        ids = json.load(f)["ids"]
    base = GPT2LMHeadModel.from_pretrained(BASE, dtype=torch.float32, attn_implementation="eager").eval()
    cfg = LoraConfig(r=4, lora_alpha=12, lora_dropout=0.0, target_modules=["c_attn", "c_proj", "c_fc"],
                     fan_in_fan_out=True, init_lora_weights=False, task_type="CAUSAL_LM")
    model = get_peft_model(base, cfg).eval()
    os.makedirs(OUT, exist_ok=True)
    model.save_pretrained(OUT)
    cfg_path = os.path.join(OUT, "adapter_config.json")
    with open(cfg_path, encoding="utf-8") as f:
        saved = json.load(f)
    saved["base_model_name_or_path"] = "../hf_gpt2_f16"  # not this machine's absolute path
    with open(cfg_path, "w", encoding="utf-8") as f:
        json.dump(saved, f, indent=2, sort_keys=True)
    readme = os.path.join(OUT, "README.md")
    if os.path.exists(readme):
        os.remove(readme)  # the model card PEFT writes: not needed by either reader
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits[0]
    expected = {"ids": ids, "logits": [[float(x) for x in row] for row in logits],
                "made_by": "scripts/compare/peft_lora_fixture.py",
                "versions": {"peft": peft.__version__, "transformers": transformers.__version__,
                             "torch": torch.__version__}}
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f)
    print(f"wrote {OUT}: {sorted(os.listdir(OUT))}, {len(ids)} tokens")


if __name__ == "__main__":
    main()
