// File: torch/nn/attention.cc
#include "torch/nn/attention.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

#include "torch/autograd/functions/arith.h"
#include "torch/autograd/functions/index.h"
#include "torch/autograd/functions/linalg.h"
#include "torch/autograd/functions/norm.h"
#include "torch/autograd/functions/random.h"
#include "torch/autograd/functions/shape.h"
#include "torch/autograd/grad_mode.h"
#include "torch/core/error.h"
#include "torch/core/index_ops.h"
#include "torch/core/ops.h"
#include "torch/core/pointwise_ops.h"
#include "torch/nn/init.h"

namespace tch::nn {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// The masks of one attention call folded into what the core op takes: a
// bool "keep" mask, a floating additive mask, or neither (plus is_causal
// when causality is the only constraint). Masks are constants: nothing here
// records a graph.
struct FoldedMask {
  Tensor mask;  // undefined, bool (true = keep) or floating (added)
  bool is_causal = false;
};

FoldedMask FoldMasks(const Tensor& key_padding_mask, const Tensor& attn_mask,
                     bool is_causal, int64_t B, int64_t H, int64_t L, int64_t S,
                     DType dtype) {
  autograd::NoGradGuard no_grad;
  Tensor keep;      // bool, broadcastable to [B, H, L, S]
  Tensor additive;  // floating, broadcastable to [B, H, L, S]
  auto add_keep = [&keep](const Tensor& k) {
    keep = keep.defined() ? logical_and(keep, k) : k;
  };
  auto add_float = [&additive, dtype](const Tensor& f) {
    Tensor t = f.to(dtype);
    additive = additive.defined() ? add(additive, t) : t;
  };
  if (key_padding_mask.defined()) {
    TCH_CHECK(key_padding_mask.dim() == 2 && key_padding_mask.size(0) == B &&
                  key_padding_mask.size(1) == S,
              "MultiheadAttention: expected key_padding_mask of shape [", B,
              ", ", S, "], got ", ShapeToString(key_padding_mask.sizes()));
    Tensor m = key_padding_mask.view({B, 1, 1, S});
    if (m.dtype() == DType::kBool) {
      add_keep(logical_not(m));
    } else {
      add_float(m);
    }
  }
  if (attn_mask.defined()) {
    Tensor m;
    if (attn_mask.dim() == 2 && attn_mask.size(0) == L &&
        attn_mask.size(1) == S) {
      m = attn_mask.view({1, 1, L, S});
    } else {
      TCH_CHECK(attn_mask.dim() == 3 && attn_mask.size(0) == B * H &&
                    attn_mask.size(1) == L && attn_mask.size(2) == S,
                "MultiheadAttention: expected attn_mask of shape [", L, ", ", S,
                "] or [", B * H, ", ", L, ", ", S, "], got ",
                ShapeToString(attn_mask.sizes()));
      m = attn_mask.reshape({B, H, L, S});
    }
    if (m.dtype() == DType::kBool) {
      add_keep(logical_not(m));
    } else {
      add_float(m);
    }
  }
  if (is_causal) {
    TCH_CHECK(L == S,
              "MultiheadAttention: is_causal needs as many queries as keys, "
              "got L=",
              L, ", S=", S);
    if (!keep.defined() && !additive.defined()) return {Tensor(), true};
    add_keep(tril(ones({L, S}, DType::kBool)).view({1, 1, L, S}));
  }
  if (!additive.defined()) return {keep, false};
  if (keep.defined()) additive = where(keep, additive, kNegInf);
  return {additive, false};
}

}  // namespace

MultiheadAttention::MultiheadAttention(int64_t e, int64_t h, double p,
                                       bool bias, Generator* gen)
    : Module("MultiheadAttention"),
      embed_dim(e),
      num_heads(h),
      dropout(p),
      generator(gen) {
  TCH_CHECK(e > 0 && h > 0 && e % h == 0, "MultiheadAttention: embed_dim (", e,
            ") must be a positive multiple of num_heads (", h, ")");
  TCH_CHECK(p >= 0 && p <= 1,
            "MultiheadAttention: dropout must be in [0, 1], got ", p);
  in_proj_weight = register_parameter("in_proj_weight", empty({3 * e, e}));
  if (bias) in_proj_bias = register_parameter("in_proj_bias", zeros({3 * e}));
  out_proj =
      register_module("out_proj", std::make_shared<Linear>(e, e, bias, gen));
  // PyTorch's _reset_parameters, after out_proj's Linear init.
  init::xavier_uniform_(in_proj_weight, 1.0, gen);
  if (bias) init::zeros_(out_proj->bias);
}

Tensor MultiheadAttention::forward(const Tensor& x) { return forward(x, x, x); }

Tensor MultiheadAttention::forward(const Tensor& query, const Tensor& key,
                                   const Tensor& value,
                                   const Tensor& key_padding_mask,
                                   const Tensor& attn_mask, bool is_causal) {
  const int64_t E = embed_dim, H = num_heads, Dh = E / H;
  for (const Tensor* t : {&query, &key, &value}) {
    TCH_CHECK(t->dim() == 3 && t->size(2) == E,
              "MultiheadAttention: expected [batch, seq, ", E,
              "] inputs (batch_first), got ", ShapeToString(t->sizes()));
  }
  const int64_t B = query.size(0), L = query.size(1), S = key.size(1);
  TCH_CHECK(key.size(0) == B && value.size(0) == B && value.size(1) == S,
            "MultiheadAttention: query, key and value must share the batch "
            "size and key/value the sequence length, got ",
            ShapeToString(query.sizes()), ", ", ShapeToString(key.sizes()),
            ", ", ShapeToString(value.sizes()));
  Tensor q, k, v;
  if (query.SameImpl(key) && key.SameImpl(value)) {
    // Self-attention: one projection, then split. One split node (its
    // backward is one cat) rather than three slices, whose backwards would
    // each zero-fill and copy a full [B, L, 3E] gradient to be summed.
    Tensor qkv = ad::linear(query, in_proj_weight, in_proj_bias);
    std::vector<Tensor> parts = ad::split(qkv, E, 2);
    q = parts[0];
    k = parts[1];
    v = parts[2];
  } else {
    auto project = [&](const Tensor& x, int64_t i) {
      Tensor w = ad::slice(in_proj_weight, 0, i * E, (i + 1) * E);
      Tensor b = in_proj_bias.defined()
                     ? ad::slice(in_proj_bias, 0, i * E, (i + 1) * E)
                     : Tensor();
      return ad::linear(x, w, b);
    };
    q = project(query, 0);
    k = project(key, 1);
    v = project(value, 2);
  }
  auto heads = [&](const Tensor& t, int64_t len) {
    return ad::transpose(ad::reshape(t, {B, len, H, Dh}), 1, 2);
  };
  q = heads(q, L);
  k = heads(k, S);
  v = heads(v, S);
  const FoldedMask m = FoldMasks(key_padding_mask, attn_mask, is_causal, B, H,
                                 L, S, query.dtype());
  Tensor out;
  if (is_training() && dropout > 0) {
    // Explicit path: the fused op has no dropout on the attention weights.
    Tensor scores = ad::mul(ad::matmul(q, ad::transpose(k, -2, -1)),
                            1.0 / std::sqrt(double(Dh)));
    Tensor mask = m.mask;
    if (m.is_causal) mask = tril(ones({L, S}, DType::kBool));
    if (mask.defined()) {
      if (mask.dtype() == DType::kBool) {
        mask = where(mask, 0.0, kNegInf).to(scores.dtype());
      }
      scores = ad::add(scores, mask);
    }
    Tensor weights =
        ad::dropout(ad::softmax(scores, -1), dropout, true, generator);
    out = ad::matmul(weights, v);
  } else {
    out = ad::scaled_dot_product_attention(q, k, v, m.mask, 0.0, m.is_causal);
  }
  out = ad::reshape(ad::transpose(out, 1, 2), {B, L, E});
  return out_proj->forward(out);
}

std::string MultiheadAttention::extra_repr() const {
  std::ostringstream out;
  out << "embed_dim=" << embed_dim << ", num_heads=" << num_heads
      << ", dropout=" << dropout << ", batch_first=true";
  return out.str();
}

TransformerBlock::TransformerBlock(TransformerBlockOptions opts, Generator* gen)
    : Module("TransformerBlock"), options(opts) {
  const int64_t d = opts.d_model;
  TCH_CHECK(d > 0 && opts.mlp_ratio > 0,
            "TransformerBlock: d_model and mlp_ratio must be positive, got ", d,
            " and ", opts.mlp_ratio);
  ln1 =
      register_module("ln1", std::make_shared<LayerNorm>(
                                 std::vector<int64_t>{d}, opts.layer_norm_eps));
  attn = register_module("attn", std::make_shared<MultiheadAttention>(
                                     d, opts.n_heads, opts.dropout, true, gen));
  ln2 =
      register_module("ln2", std::make_shared<LayerNorm>(
                                 std::vector<int64_t>{d}, opts.layer_norm_eps));
  mlp = register_module(
      "mlp", std::make_shared<Sequential>(std::vector<ModulePtr>{
                 std::make_shared<Linear>(d, opts.mlp_ratio * d, true, gen),
                 std::make_shared<GELU>(),
                 std::make_shared<Linear>(opts.mlp_ratio * d, d, true, gen),
                 std::make_shared<Dropout>(opts.dropout, gen)}));
  drop = register_module("drop", std::make_shared<Dropout>(opts.dropout, gen));
}

Tensor TransformerBlock::forward(const Tensor& x) {
  return forward(x, Tensor());
}

Tensor TransformerBlock::forward(const Tensor& x,
                                 const Tensor& key_padding_mask) {
  Tensor h = ln1->forward(x);
  h = attn->forward(h, h, h, key_padding_mask, Tensor(), options.causal);
  Tensor y = ad::add(x, drop->forward(h));
  return ad::add(y, mlp->forward(ln2->forward(y)));
}

}  // namespace tch::nn
