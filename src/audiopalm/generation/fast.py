"""A lean incremental forward pass for Llama-family decoders, with a KV cache that grows by doubling.

A decoding step at batch 1 reads every weight once, and at the sizes that run on a CPU much of the
rest is per-op overhead (cache objects, mask construction, module hooks). `FastDecoder` runs each
step as a few tensor ops over fused weights (q/k/v in one matrix, gate/up in another), optionally in
float16, which halves the bytes a step reads:

    x [B, T, D] -> per layer: RMSNorm -> q, k, v (RoPE on q, k) -> write k, v into cache columns
                   [start, start + T) -> attention over the valid columns -> o_proj -> residual
                   -> RMSNorm -> down(silu(gate) * up) -> residual
    -> final RMSNorm -> lm_head (last position only) -> logits [B, V]

Cache columns are shared by the batch (left-padded prompts, as in `greedy_decode`); `valid` [B, S]
marks the columns a row may attend to and `positions` [B, T] are each row's RoPE positions. A padded
prompt batch runs its position-wise layers (projections, MLP) on the real tokens only.
Supported: `LlamaForCausalLM`, `Qwen2ForCausalLM`, `MistralForCausalLM` without a sliding window,
with default RoPE; anything else decodes through the model's own forward (`HFStepper`).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import lru_cache

import torch
from torch.nn import functional as F

SUPPORTED = {"llama", "qwen2", "mistral"}


def supports(model) -> bool:
    """Whether `FastDecoder` reproduces `model`'s forward pass."""
    cfg = getattr(model, "config", None)
    if cfg is None or getattr(cfg, "model_type", None) not in SUPPORTED:
        return False
    rope = getattr(cfg, "rope_parameters", None) or getattr(cfg, "rope_scaling", None) or {}
    if rope.get("rope_type", "default") != "default":
        return False
    if getattr(cfg, "sliding_window", None) and getattr(cfg, "use_sliding_window", True) and cfg.model_type != "llama":
        return False
    return getattr(cfg, "hidden_act", "silu") == "silu" and getattr(cfg, "pretraining_tp", 1) == 1


def _rope_theta(cfg) -> float:
    rope = getattr(cfg, "rope_parameters", None) or {}
    return float(rope.get("rope_theta", getattr(cfg, "rope_theta", 10000.0)))


@dataclass(frozen=True)
class _Layer:
    """One decoder layer's weights in the decoding dtype, q/k/v and gate/up fused (biases may be None)."""
    norm1: torch.Tensor
    qkv: tuple[torch.Tensor, torch.Tensor | None]
    o: tuple[torch.Tensor, torch.Tensor | None]
    norm2: torch.Tensor
    gate_up: tuple[torch.Tensor, torch.Tensor | None]
    down: tuple[torch.Tensor, torch.Tensor | None]


def _fused(modules, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Linear layers reading the same input -> one (weight, bias) whose output is theirs concatenated."""
    weight = torch.cat([m.weight.to(dtype) for m in modules]) if len(modules) > 1 else modules[0].weight.to(dtype)
    if all(m.bias is None for m in modules):
        return weight, None
    return weight, torch.cat([m.bias.to(dtype) if m.bias is not None else
                              torch.zeros(m.out_features, dtype=dtype, device=weight.device) for m in modules])


@dataclass(frozen=True)
class _Weights:
    embed: torch.Tensor
    layers: list[_Layer]
    final_norm: torch.Tensor
    head: tuple[torch.Tensor, torch.Tensor | None]


def _prepare(model, dtype: torch.dtype) -> _Weights:
    """The model's weights for decoding, made once per dtype and kept on the model until a parameter
    changes (an optimizer step bumps its version counter)."""
    params = list(model.parameters())
    key = (dtype, tuple(p._version for p in params), tuple(p.data_ptr() for p in params))
    cache = model.__dict__.setdefault("_fast_decoding_weights", {})
    if dtype in cache and cache[dtype][0] == key:
        return cache[dtype][1]
    d = dtype
    layers = [_Layer(layer.input_layernorm.weight.to(d),
                     _fused([layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj], d),
                     _fused([layer.self_attn.o_proj], d), layer.post_attention_layernorm.weight.to(d),
                     _fused([layer.mlp.gate_proj, layer.mlp.up_proj], d), _fused([layer.mlp.down_proj], d))
              for layer in model.model.layers]
    weights = _Weights(model.get_input_embeddings().weight.to(d), layers, model.model.norm.weight.to(d),
                       _fused([model.lm_head], d))
    cache[dtype] = (key, weights)
    return weights


def _linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """F.linear(x, weight, bias): x [..., I], weight [O, I] -> [..., O].

    A few float32 rows on a CPU (a beam's step: 2-64 rows) are multiplied as weight @ x.T, whose
    kernel reads the weight once for all the rows: on the 2 cores of an AVX2 EPYC, the 25 products of
    one step of the 6 M-parameter LM take 1.2 ms that way for 4 rows against 4.2 ms through F.linear
    (the same sums up to float rounding). One row, many rows and other dtypes go through F.linear."""
    rows = x.numel() // x.shape[-1]
    if x.device.type != "cpu" or x.dtype != torch.float32 or not 2 <= rows <= 64:
        return F.linear(x, weight, bias)
    flat = x.reshape(rows, x.shape[-1]).t()
    out = torch.mm(weight, flat) if bias is None else torch.addmm(bias[:, None], weight, flat)
    return out.t().reshape(*x.shape[:-1], weight.shape[0])


def _attend_one(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """One query per row: q [B, H, 1, hd], k/v [B, KV, S, hd], mask [B, 1, 1, S] -> [B, H, 1, hd].

    Grouped-query attention as two batched products, the softmax in float32 (query head i reads
    key/value head i // (H / KV), as HF Llama repeats them). On a CPU this is several times faster than
    scaled_dot_product_attention's kernel for a single query in float16 or bfloat16."""
    b, heads, _, hd = q.shape
    kv = k.shape[1]
    scores = ((q * hd ** -0.5).reshape(b, kv, heads // kv, hd) @ k.transpose(-1, -2)).float()  # [B, KV, G, S]
    scores = scores.masked_fill(~mask.reshape(b, 1, 1, -1), float("-inf"))
    return (scores.softmax(-1).to(v.dtype) @ v).reshape(b, heads, 1, hd)


class FastDecoder:
    """Incremental decoding of a supported Hugging Face causal LM; one instance per generation.

    `dtype`: compute in this dtype (None: the model's). The fused (and converted) weights are an
    extra copy of the layer weights, made once and reused while the model is unchanged; float16
    halves the bytes each step of one row reads (a batch on a CPU computes in float32 instead)."""

    def __init__(self, model, batch: int, max_len: int, dtype: torch.dtype | None = None,
                 output_rows: list[torch.Tensor] | None = None):
        """`output_rows`: vocabulary subsets (index tensors) that `forward(..., rows=i)` may restrict
        the output layer to; their weight rows are gathered once here."""
        cfg = model.config
        weight = model.get_input_embeddings().weight
        self.device, self.dtype = weight.device, dtype or weight.dtype
        if self.dtype == torch.float16 and self.device.type == "cpu" and batch > 1:
            self.dtype = torch.float32  # CPUs multiply float16 matrices of many rows far slower than float32 ones
        self.heads, self.kv_heads = cfg.num_attention_heads, cfg.num_key_value_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        self.eps = cfg.rms_norm_eps
        self.w = _prepare(model, self.dtype)
        # CPUs multiply float16 matrices (the prompt) far slower than float32 ones, though float16
        # vector products (one token) are faster: on a CPU the prompt goes through float32 weights
        self.wide = _prepare(model, torch.float32) if self.dtype == torch.float16 and self.device.type == "cpu" else None
        # the cache grows as columns are written (doubling, at most max_len): a transcript of a few tokens does
        # not zero the columns of the longest output the caller allows
        self.max_len = max_len
        shape = (len(self.w.layers), batch, self.kv_heads, min(max_len, 64), self.head_dim)
        self.k = torch.zeros(shape, device=self.device, dtype=self.dtype)
        self.v = torch.zeros(shape, device=self.device, dtype=self.dtype)
        inv = 1.0 / _rope_theta(cfg) ** (torch.arange(0, self.head_dim, 2, device=self.device).float() / self.head_dim)
        angles = torch.arange(max_len, device=self.device).float()[:, None] * inv  # [S, hd/2]
        self.angles = torch.cat([angles, angles], -1)  # [S, hd]: the rotate-half layout
        self.length = 0  # cache columns filled
        self.vocab_size = self.w.head[0].shape[0]
        weight, bias = self.w.head
        self.row_heads = [(rows.to(self.device), weight[rows].contiguous(), None if bias is None else bias[rows])
                          for rows in (output_rows or [])]

    def _reserve(self, end: int) -> None:
        """Cache columns [0, end) exist (zeros where not yet written)."""
        have = self.k.shape[3]
        if end <= have:
            return
        more = min(self.max_len, max(end, 2 * have)) - have
        self.k, self.v = (torch.cat([c, c.new_zeros(*c.shape[:3], more, c.shape[4])], 3) for c in (self.k, self.v))

    def _norm(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """RMSNorm as HF Llama computes it: normalised in float32, scaled in the compute dtype."""
        if x.dtype == torch.float32:
            return F.rms_norm(x, weight.shape, weight, self.eps)
        return F.rms_norm(x.float(), weight.shape, None, self.eps).to(x.dtype) * weight

    def _rope(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        """x [B, T, H, hd], cos/sin [B, T, 1, hd] -> rotated x (the rotate-half convention of HF Llama)."""
        half = x.shape[-1] // 2
        return x * cos + torch.cat([-x[..., half:], x[..., :half]], -1) * sin

    def _mask(self, valid: torch.Tensor, t: int) -> torch.Tensor:
        """-> [B, 1, T, S] True where query i (column start + i) may attend column j."""
        start, end = self.length, self.length + t
        if t == 1:  # one new token: every valid column, and its own
            mask = valid[:, None, None, :end].clone()
            mask[..., -1] = True
            return mask
        causal = torch.ones(t, end, dtype=torch.bool, device=self.device).tril(start)  # [T, S]
        own = torch.zeros_like(causal)
        own[torch.arange(t), torch.arange(start, end)] = True  # a padding query sees itself: no empty softmax
        return (valid[:, None, None, :end] & causal) | own

    @torch.inference_mode()
    def forward(self, ids: torch.Tensor, positions: torch.Tensor, valid: torch.Tensor, rows: int | None = None
                ) -> torch.Tensor:
        """ids [B, T] written at cache columns [length, length + T); positions [B, T]; valid [B, length + T]
        True where a column may be attended -> logits [B, V] (float32) of the last position.

        `rows`: compute only the logits of `output_rows[rows]` (the others are -inf): when decoding
        may only pick from a subset (audio tokens, say), the output layer reads only its rows."""
        b, t = ids.shape
        start, end = self.length, self.length + t
        heads, kv, hd = self.heads, self.kv_heads, self.head_dim
        # the whole prompt at once on an empty cache: float32 weights where `wide` exists
        w, dtype = (self.wide, torch.float32) if self.wide is not None and start == 0 and t > 1 else (self.w, self.dtype)
        self._reserve(end)
        mask = self._mask(valid, t)
        angles = self.angles[positions][:, :, None]  # [B, T, 1, hd]
        cos, sin = angles.cos().to(dtype), angles.sin().to(dtype)
        x = F.embedding(ids, w.embed)
        # left-padded prompts of a batch: the position-wise layers read only the real tokens [N, D]
        new = valid[:, start:end]
        real = new.reshape(-1).nonzero().squeeze(1) if t > 1 and not new.all() else None
        if real is not None:
            x = x.reshape(b * t, -1)[real]
        for i, layer in enumerate(w.layers):
            qkv = _linear(self._norm(x, layer.norm1), *layer.qkv)
            if real is not None:  # back to [B, T]: padding gets zero queries, keys and values (it is never read)
                qkv = qkv.new_zeros(b * t, qkv.shape[-1]).index_copy_(0, real, qkv)
            qkv = qkv.view(b, t, heads + 2 * kv, hd)
            qk = self._rope(qkv[:, :, : heads + kv], cos, sin)
            k, v = qk[:, :, heads:].transpose(1, 2), qkv[:, :, heads + kv:].transpose(1, 2)
            self.k[i, :b, :, start:end] = k
            self.v[i, :b, :, start:end] = v
            if dtype == self.dtype:
                k, v = self.k[i, :b, :, :end], self.v[i, :b, :, :end]
            q = qk[:, :, :heads].transpose(1, 2)
            if t == 1 and self.device.type == "cpu":
                o = _attend_one(q, k, v, mask)
            else:
                o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=heads != kv)
            o = o.transpose(1, 2).reshape(b, t, -1)
            x = x + _linear(o if real is None else o.reshape(b * t, -1)[real], *layer.o)
            gate, up = _linear(self._norm(x, layer.norm2), *layer.gate_up).chunk(2, -1)
            x = x + _linear(F.silu(gate) * up, *layer.down)
        self.length = end
        if real is not None:
            x = x.new_zeros(b * t, x.shape[-1]).index_copy_(0, real, x).view(b, t, -1)
        h = self._norm(x[:, -1], w.final_norm)
        if rows is None:
            return _linear(h, *w.head).float()
        index, weight, bias = self.row_heads[rows]
        h = h.to(weight.dtype)
        logits = torch.full((b, self.vocab_size), float("-inf"), device=self.device)
        logits[:, index] = _linear(h, weight, bias).float()
        return logits

    def reorder(self, parents: torch.Tensor, shared: int = 0) -> None:
        """Beam search: row r of the cache becomes row parents[r] (the columns written so far). Columns
        [0, shared) already hold the same keys and values in every row (the prompt the beams share) and are
        not copied."""
        n, length = len(parents), self.length
        self.k[:, :n, :, shared:length] = self.k[:, parents, :, shared:length]
        self.v[:, :n, :, shared:length] = self.v[:, parents, :, shared:length]


@lru_cache(maxsize=16)
def _cache_arg(forward_cls: type) -> str:
    """Name of the KV-cache argument: transformers renamed `past_key_values` to `cache` in 5.x."""
    return "cache" if "cache" in inspect.signature(forward_cls.forward).parameters else "past_key_values"


class HFStepper:
    """The same interface over any Hugging Face causal LM's own forward pass and cache."""

    def __init__(self, model):
        self.model, self.cache, self.name = model, None, _cache_arg(type(model))
        self.device = model.get_input_embeddings().weight.device

    @torch.inference_mode()
    def forward(self, ids: torch.Tensor, positions: torch.Tensor, valid: torch.Tensor, rows: int | None = None
                ) -> torch.Tensor:
        """As `FastDecoder.forward`; `rows` is ignored (every logit is computed)."""
        kwargs = {self.name: self.cache} if self.cache is not None else {}
        out = self.model(input_ids=ids, attention_mask=valid.long(), position_ids=positions, use_cache=True, **kwargs)
        self.cache = getattr(out, self.name)
        return out.logits[:, -1]

    def reorder(self, parents: torch.Tensor, shared: int = 0) -> None:
        """As `FastDecoder.reorder` (every column is reordered)."""
        self.cache.reorder_cache(parents)


def stepper(model, batch: int, max_len: int, fast: bool = True, dtype: torch.dtype | None = None,
            output_rows: list[torch.Tensor] | None = None) -> FastDecoder | HFStepper:
    """The fastest incremental forward pass available for `model` (`dtype` and `output_rows` apply
    to the fast one)."""
    if fast and supports(model):
        return FastDecoder(model, batch, max_len, dtype, output_rows)
    return HFStepper(model)
