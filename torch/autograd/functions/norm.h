// File: torch/autograd/functions/norm.h
//
// Differentiable softmax, normalization, losses and attention: the tch::ad
// versions of torch/core/norm_ops.h, with the same arguments, defaults and
// errors (the core op runs first). Backward formulas call the core backward
// kernels (softmax_backward, layer_norm_backward, ...).
//
// API difference from core: layer_norm, batch_norm, group_norm and
// scaled_dot_product_attention return only the output Tensor. The other
// fields of core's LayerNormResult / BatchNormResult / GroupNormResult /
// AttentionResult (mean, rstd, save_mean, save_invstd, logsumexp) are
// backward state; the recorded node keeps them. Call the core op when you
// need them.
//
// What is differentiable (other tensor arguments get no gradient):
//   softmax, log_softmax     input (with `dtype`, the gradient is converted
//                            back to the input's dtype)
//   layer_norm, group_norm   input, weight, bias
//   batch_norm               input, weight, bias. Training mode normalizes
//                            with the batch statistics and updates
//                            running_mean / running_var in place (not
//                            differentiable, as PyTorch's buffers); eval mode
//                            uses the running statistics, which the node
//                            saves: changing them in place before backward
//                            is the usual "modified by an inplace operation"
//                            error.
//   cross_entropy            input; a class-probability target too (as
//                            PyTorch's composite formula); options.weight
//                            is not differentiable: backward throws
//                            NotImplementedError if it requires grad
//   nll_loss                 input (options.weight as cross_entropy)
//   mse_loss, l1_loss, smooth_l1_loss   input and target (broadcasting
//                            gradients are summed back to each shape)
//   binary_cross_entropy_with_logits    input, target, weight, pos_weight
//                            (PyTorch 1.13 differentiates only input and
//                            target; the weight / pos_weight gradients are
//                            computed from the unweighted loss)
//   scaled_dot_product_attention        query, key, value, and a floating
//                            attn_mask (its gradient is the gradient of the
//                            scores, summed to the mask's shape)
//
// Example:
//   using namespace tch;
//   Tensor logits = autograd::requires_grad_(randn({3, 10}));
//   Tensor target = from_vector<int64_t>({3, 0, 9});  // class ids
//   ClassLossOptions options;
//   options.label_smoothing = 0.1;
//   Tensor loss =
//       ad::cross_entropy(ad::layer_norm(logits, {10}), target, options);
//   autograd::backward(loss);  // fills autograd::grad_of(logits)
//
// Errors: those of the core ops (see torch/core/norm_ops.h), plus
// NotImplementedError from backward for a class-loss weight that requires
// grad. Higher-order gradients are not supported.
#pragma once

#include <cstdint>
#include <optional>

#include "torch/core/dtype.h"
#include "torch/core/norm_ops.h"
#include "torch/core/tensor.h"

namespace tch::ad {

Tensor softmax(const Tensor& input, int64_t dim,
               std::optional<DType> dtype = std::nullopt);
Tensor log_softmax(const Tensor& input, int64_t dim,
                   std::optional<DType> dtype = std::nullopt);

// Returns LayerNormResult::output (see above).
Tensor layer_norm(const Tensor& input, IntList normalized_shape,
                  const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5);
// Returns BatchNormResult::output (see above).
Tensor batch_norm(const Tensor& input, const Tensor& running_mean,
                  const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum = 0.1,
                  double eps = 1e-5);
// Returns GroupNormResult::output (see above).
Tensor group_norm(const Tensor& input, int64_t num_groups,
                  const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5);

Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const ClassLossOptions& options = {});
Tensor nll_loss(const Tensor& input, const Tensor& target,
                const ClassLossOptions& options = {});

Tensor mse_loss(const Tensor& input, const Tensor& target,
                Reduction reduction = Reduction::kMean);
Tensor l1_loss(const Tensor& input, const Tensor& target,
               Reduction reduction = Reduction::kMean);
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      Reduction reduction = Reduction::kMean,
                      double beta = 1.0);
Tensor binary_cross_entropy_with_logits(const Tensor& input,
                                        const Tensor& target,
                                        const Tensor& weight = {},
                                        const Tensor& pos_weight = {},
                                        Reduction reduction = Reduction::kMean);

// Returns AttentionResult::output (see above).
Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key,
                                    const Tensor& value,
                                    const Tensor& attn_mask = {},
                                    double dropout_p = 0.0,
                                    bool is_causal = false,
                                    std::optional<double> scale = std::nullopt);

}  // namespace tch::ad
