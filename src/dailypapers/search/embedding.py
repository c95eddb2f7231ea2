"""Sentence embeddings with an ONNX model on onnxruntime: no torch at run time.

The bundled model is all-MiniLM-L6-v2 exported to ONNX and quantised to int8 by tools/export_model.py.
Pooling follows sentence-transformers: mean over the attention mask, then L2 normalisation, so the dot
product of two embeddings is their cosine similarity.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

BUNDLED_MODEL_DIR = Path(__file__).resolve().parent / "model"
# The bundled demo's vectors from the bundled model, made by tools/demo_embeddings.py.
BUNDLED_VECTORS = Path(__file__).resolve().parent / "data" / "demo-embeddings.npz"


class ModelMissing(RuntimeError):
    """The configured model directory lacks model.onnx or tokenizer.json."""


class Embedder:
    """Turns texts into unit-length float32 vectors."""

    def __init__(self, model_dir: Path | str, threads: int = 0) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir)
        onnx_path, tok_path = self.model_dir / "model.onnx", self.model_dir / "tokenizer.json"
        if not onnx_path.is_file() or not tok_path.is_file():
            raise ModelMissing(f"no model.onnx and tokenizer.json in {self.model_dir}")
        meta_path = self.model_dir / "dailypapers-model.json"
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        # The name is stored beside every embedding: vectors from different models never mix.
        self.name: str = meta.get("name") or self.model_dir.name
        self.max_length: int = int(meta.get("max_length", 256))
        self.tokenizer = Tokenizer.from_file(str(tok_path))
        self.tokenizer.enable_truncation(max_length=self.max_length)
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # 0: onnxruntime's default (all cores)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.dim: int = int(meta.get("dim") or self.embed(["dimension probe"]).shape[1])
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embeddings of `texts` (n × dim, float32, L2-normalised), in the order given."""
        if not texts:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        encodings = self.tokenizer.encode_batch([t or " " for t in texts])
        # Similar lengths batched together: padding costs as much as real tokens.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out: np.ndarray | None = None
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.input_names:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feed)[0]  # batch × tokens × dim
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            if out is None:
                out = np.empty((len(texts), pooled.shape[1]), dtype=np.float32)
            out[idx] = pooled
        assert out is not None
        return out

    def embed_query(self, text: str) -> np.ndarray:
        # One session shared by threads of a server process; onnxruntime runs are thread-safe but
        # serialising queries keeps their latency steady on a small machine.
        with self._lock:
            return self.embed([text])[0]


def paper_text(title: str, abstract: str) -> str:
    """What a paper's embedding is made from (title and abstract, as SciFact's documents)."""
    title, abstract = (title or "").strip(), (abstract or "").strip()
    return f"{title}. {abstract}" if abstract else title


@functools.cache
def _bundled() -> dict[str, np.ndarray]:
    if not BUNDLED_VECTORS.is_file():
        return {}
    with np.load(BUNDLED_VECTORS) as data:
        return dict(zip((h.decode() for h in data["hashes"]), data["vectors"], strict=True))


def bundled_vectors(hashes: Iterable[str]) -> dict[str, np.ndarray]:
    """The shipped vectors of these text hashes (see search.indexing.text_hash), where there are any:
    the demo's papers, embedded once by tools/demo_embeddings.py, so that a first start on a small
    machine has meaning search in seconds rather than minutes. A hash names the model and the text,
    so another model or an edited abstract never matches."""
    known = _bundled()
    return {h: known[h] for h in hashes if h in known}


_embedders: dict[str, Embedder] = {}
_embedders_lock = threading.Lock()


def get_embedder(model_dir: Path | str | None = None) -> Embedder:
    """The process-wide embedder for `model_dir` (settings.SEARCH_MODEL_DIR by default), loaded once."""
    if model_dir is None:
        from django.conf import settings

        model_dir = settings.SEARCH_MODEL_DIR or BUNDLED_MODEL_DIR
    key = str(Path(model_dir).resolve())
    with _embedders_lock:
        if key not in _embedders:
            from django.conf import settings

            _embedders[key] = Embedder(key, threads=getattr(settings, "SEARCH_MODEL_THREADS", 0))
        return _embedders[key]
