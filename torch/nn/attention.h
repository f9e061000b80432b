// File: torch/nn/attention.h
//
// MultiheadAttention (torch.nn.MultiheadAttention with batch_first=True and
// PyTorch's parameter names: in_proj_weight [3E, E], in_proj_bias [3E],
// out_proj.weight [E, E], out_proj.bias [E]) and a pre-LayerNorm transformer
// block built from it.
//
// Masks follow PyTorch's MultiheadAttention conventions:
//   key_padding_mask [B, S] bool: true marks a key to IGNORE (padding);
//                    or floating, added to the scores.
//   attn_mask        [L, S] or [B * num_heads, L, S]: bool true = NOT
//                    allowed; floating masks are added to the scores.
//   is_causal        query i attends to keys j <= i (L == S required).
// Masks combine (a position is kept only if every mask keeps it). The
// computation is the core scaled_dot_product_attention op; with attention
// dropout in training mode it is computed with matmul/softmax/dropout
// instead (that op has no dropout).
//
// TransformerBlock (pre-LN, GPT-2 style), children:
//   ln1 (LayerNorm), attn (MultiheadAttention), ln2 (LayerNorm),
//   mlp (Sequential: 0 Linear(d, r*d), 1 GELU, 2 Linear(r*d, d), 3 Dropout),
//   drop (Dropout after attention)
//   forward: x = x + drop(attn(ln1(x))); x = x + mlp(ln2(x))
//
// Example:
//   auto block = std::make_shared<TransformerBlock>(
//       TransformerBlockOptions{.d_model = 128, .n_heads = 4, .causal = true});
//   Tensor y = block->forward(x);                 // x, y: [B, T, 128]
//
// Errors (ValueError): embed_dim not divisible by num_heads, inputs that
// are not [B, L, E] with the module's E, masks of the wrong shape, is_causal
// with L != S.
#pragma once

#include <cstdint>
#include <memory>

#include "torch/core/generator.h"
#include "torch/core/tensor.h"
#include "torch/nn/layers.h"
#include "torch/nn/module.h"

namespace tch::nn {

class MultiheadAttention : public Module {
 public:
  // Initialization as PyTorch: xavier_uniform_ in_proj_weight, zero biases,
  // out_proj.weight with Linear's default. `generator` is kept (not owned)
  // for attention dropout.
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, double dropout = 0.0,
                     bool bias = true, Generator* generator = nullptr);

  // Self-attention without masks: forward(x, x, x).
  Tensor forward(const Tensor& x) override;
  // query [B, L, E], key and value [B, S, E] -> [B, L, E]. (The attention
  // weights PyTorch can also return are not computed.)
  Tensor forward(const Tensor& query, const Tensor& key, const Tensor& value,
                 const Tensor& key_padding_mask = {},
                 const Tensor& attn_mask = {}, bool is_causal = false);

  int64_t embed_dim, num_heads;
  double dropout;
  Generator* generator;
  Tensor in_proj_weight, in_proj_bias;
  std::shared_ptr<Linear> out_proj;

 protected:
  std::string extra_repr() const override;
};

struct TransformerBlockOptions {
  int64_t d_model = 0;
  int64_t n_heads = 1;
  int64_t mlp_ratio = 4;
  double dropout = 0.0;  // attention weights, attention output, MLP output
  bool causal = true;
  double layer_norm_eps = 1e-5;
};

class TransformerBlock : public Module {
 public:
  explicit TransformerBlock(TransformerBlockOptions options,
                            Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  // With a key padding mask ([B, T] bool, true = padding).
  Tensor forward(const Tensor& x, const Tensor& key_padding_mask);

  TransformerBlockOptions options;
  std::shared_ptr<LayerNorm> ln1, ln2;
  std::shared_ptr<MultiheadAttention> attn;
  std::shared_ptr<Sequential> mlp;
  std::shared_ptr<Dropout> drop;
};

}  // namespace tch::nn
