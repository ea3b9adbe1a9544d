"""A tiny safetensors reader for the comparison scripts (numpy only; no `safetensors` package):
an 8-byte little-endian header length, a JSON header, then the raw tensor bytes."""
import json

import numpy as np


def read_safetensors(path):
    """{name: float32 array} from a safetensors file; other dtypes are refused."""
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, t in header.items():
        if t["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {t['dtype']}, expected F32")
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(raw, np.float32, (b - a) // 4, 8 + n + a).reshape(t["shape"])
    return out
