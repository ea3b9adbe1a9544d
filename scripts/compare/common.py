"""Helpers shared by the comparison scripts (numpy only; no `safetensors` package needed):
safetensors reading and writing, strict `from_pretrained`, running our CLIs, failing loudly.

Safetensors: an 8-byte little-endian header length N, N bytes of JSON header (name → dtype,
shape, data_offsets into the data section; "__metadata__" → str → str), then the raw
little-endian tensor bytes."""
import json
import os
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64}


def fail(msg):
    sys.exit(f"FAIL: {msg}")


def read_safetensors(path, with_metadata=False):
    """{name: array} (F32, F64, I32, I64) from a safetensors file; with_metadata also returns the
    "__metadata__" dict. Other dtypes are refused."""
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", None) or {}
    out = {}
    for name, t in header.items():
        if t["dtype"] not in DTYPES:
            raise ValueError(f"{path}: {name} is {t['dtype']}, expected one of {sorted(DTYPES)}")
        dt = np.dtype(DTYPES[t["dtype"]]).newbyteorder("<")
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(raw, dt, (b - a) // dt.itemsize, 8 + n + a).reshape(t["shape"])
    return (out, meta) if with_metadata else out


def write_safetensors(path, tensors, metadata=None):
    """Write {name: array} (float32 / int32 / float64 / int64) deterministically: tensors in name
    order, compact sorted JSON, header padded with spaces to a multiple of 8 bytes."""
    names = {np.dtype(v): k for k, v in DTYPES.items()}
    header = {"__metadata__": dict(sorted((metadata or {}).items()))} if metadata else {}
    blobs, off = [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        if a.dtype not in names:
            raise ValueError(f"{name}: dtype {a.dtype} is not one of {sorted(DTYPES)}")
        b = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": names[a.dtype], "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little") + h + b"".join(blobs))


def from_pretrained_strict(cls, d, allowed_missing=(), allowed_unexpected=()):
    """`cls.from_pretrained(d)` (float32, eager attention, eval mode); fail on any missing,
    unexpected or mismatched key not allowed, and on any tensor of d/model.safetensors that has
    no home in the model. Returns (model, loading info)."""
    model, info = cls.from_pretrained(d, output_loading_info=True, attn_implementation="eager")
    info = {k: sorted(v) if isinstance(v, (set, list, tuple)) else v for k, v in info.items()}
    print(f"  {cls.__name__}.from_pretrained({d}): " + ", ".join(f"{k} {v}" for k, v in info.items()))
    missing, unexpected = set(info.get("missing_keys", [])), set(info.get("unexpected_keys", []))
    other = {k: v for k, v in info.items() if v and k not in ("missing_keys", "unexpected_keys")}
    if missing - set(allowed_missing) or unexpected - set(allowed_unexpected) or other:
        fail(f"{cls.__name__}.from_pretrained({d}) reported {info}")
    unused = set(read_safetensors(os.path.join(d, "model.safetensors"))) - set(model.state_dict()) - set(allowed_unexpected)
    if unused:
        fail(f"{d}/model.safetensors tensors not in {cls.__name__}: {sorted(unused)}")
    dtype = next(model.parameters()).dtype
    if str(dtype) != "torch.float32":
        fail(f"{cls.__name__} loaded as {dtype}, expected float32")
    return model.eval(), info


def run_npm(*args):
    """`npm run --silent ARGS…` in the repository (our CLIs, in Chromium on WebGPU); its stdout."""
    r = subprocess.run(["npm", "run", "--silent", *args], cwd=REPO, capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"npm run {' '.join(args[:2])} failed ({r.returncode}):\n{r.stderr}")
    return r.stdout


def import_transformers():
    """transformers, or a failure that says how to get it on this machine."""
    try:
        import transformers  # noqa: PLC0415
    except ImportError:
        fail("transformers is not importable from this Python. Make a virtualenv from the wheel files on this "
             "machine's disk (no network): python3 -m venv /tmp/hfenv && /tmp/hfenv/bin/pip install --no-index "
             "--find-links /opt/wheels --find-links /opt/pypi/files 'torch==2.13.0+cpu' 'transformers==5.17.0', "
             "then run this script with /tmp/hfenv/bin/python")
    transformers.logging.set_verbosity_error()  # the scripts print the loading info themselves
    transformers.logging.disable_progress_bar()
    return transformers
