// File: torch/core/norm_ops.h
//
// Normalization, softmax, losses and attention, with PyTorch 1.13 semantics,
// and the backward functions autograd builds their derivatives from. Every
// op takes float32, float64, float16 and bfloat16 tensors (the 16-bit types
// compute in float32) of any layout: inputs are read through their strides
// (non-contiguous inputs are copied once to a contiguous buffer), outputs are
// fresh contiguous tensors.
//
// Example:
//   using namespace tch;
//   Tensor logits = ...;                              // [N, C] float32
//   Tensor target = from_vector<int64_t>({1, 0, 3});  // [N] class ids
//   Tensor loss = cross_entropy(logits, target);      // 0-D, mean over N
//   Tensor grad = cross_entropy_backward(ones({}), logits, target);
//   LayerNormResult ln = layer_norm(x, {64}, w, b);   // ln.output, mean, rstd
//
// Errors: ValueError for shapes that do not fit (the message names the op
// and both shapes) and for bad option values; IndexError for class ids out
// of range ("Target 7 is out of bounds."); NotImplementedError for dtypes
// without a kernel (integer inputs).
//
// Optional tensors are passed as default-constructed (undefined) Tensors.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "torch/core/dtype.h"
#include "torch/core/tensor.h"

namespace tch {

// How a loss reduces its per-element values, as PyTorch's `reduction=`.
enum class Reduction : uint8_t { kNone, kMean, kSum };

// --- Softmax -----------------------------------------------------------------

// softmax(x)_i = exp(x_i - max) / sum_j exp(x_j - max) along `dim`
// (negative dims count from the end; a 0-D input is a single element). When
// `dtype` is given the input is converted to it first and the result has
// that dtype. Rows holding NaN or +inf, and rows of all -inf, give NaN, as in
// PyTorch. Throws IndexError for a bad dim, NotImplementedError for
// non-floating dtypes.
Tensor softmax(const Tensor& input, int64_t dim,
               std::optional<DType> dtype = std::nullopt);
// log(softmax(x)), computed as x - max - log(sum exp(x - max)).
Tensor log_softmax(const Tensor& input, int64_t dim,
                   std::optional<DType> dtype = std::nullopt);

// Gradients w.r.t. the input given the forward `output` and `grad_output`
// (same shape): softmax: y * (g - sum(g * y)); log_softmax:
// g - exp(y) * sum(g). The result has output's dtype (autograd converts to
// the input dtype when `dtype` was used in the forward).
Tensor softmax_backward(const Tensor& grad_output, const Tensor& output,
                        int64_t dim);
Tensor log_softmax_backward(const Tensor& grad_output, const Tensor& output,
                            int64_t dim);

// --- Layer, batch and group norm ---------------------------------------------

// `output` has the input's shape; `mean` and `rstd` (1 / sqrt(var + eps),
// biased variance) have the input's leading dims followed by a 1 for each
// normalized dim, as torch.native_layer_norm returns them.
struct LayerNormResult {
  Tensor output, mean, rstd;
};

// Normalizes over the trailing `normalized_shape` dims, then applies the
// optional elementwise affine `weight` and `bias` (shape normalized_shape).
// Throws ValueError when the input's trailing dims or the weight/bias shape
// do not match normalized_shape.
LayerNormResult layer_norm(const Tensor& input, IntList normalized_shape,
                           const Tensor& weight = {}, const Tensor& bias = {},
                           double eps = 1e-5);

// Gradients of layer_norm. `mean` and `rstd` are the forward's saved
// statistics. output_mask selects (grad_input, grad_weight, grad_bias);
// unselected results are undefined Tensors (without a weight, grad_weight is
// the gradient of an implicit weight of ones). The same holds for the
// batch_norm and group_norm backward functions.
struct NormBackwardResult {
  Tensor grad_input, grad_weight, grad_bias;
};
NormBackwardResult layer_norm_backward(
    const Tensor& grad_output, const Tensor& input, IntList normalized_shape,
    const Tensor& mean, const Tensor& rstd, const Tensor& weight = {},
    const Tensor& bias = {},
    std::array<bool, 3> output_mask = {true, true, true});

// `save_mean` and `save_invstd` ([C]) are the batch statistics in training
// mode and empty ([0]) tensors in eval mode, as torch.native_batch_norm.
struct BatchNormResult {
  Tensor output, save_mean, save_invstd;
};

// Batch norm over input [N, C, ...] (at least 2-D). Training: normalizes with
// the batch mean and biased variance over every dim but C, and, when given,
// updates running_mean/running_var ([C], the input's dtype) in place:
// r = (1 - momentum) * r + momentum * stat, with the unbiased variance for
// running_var. Eval: normalizes with the running statistics (required).
// Throws ValueError for wrong parameter sizes, missing running stats in eval
// mode, or a single value per channel in training.
BatchNormResult batch_norm(const Tensor& input, const Tensor& running_mean,
                           const Tensor& running_var, const Tensor& weight,
                           const Tensor& bias, bool training,
                           double momentum = 0.1, double eps = 1e-5);

// Gradients of batch_norm: training uses save_mean/save_invstd, eval uses
// running_mean/running_var (and `eps`), as native_batch_norm_backward.
NormBackwardResult batch_norm_backward(
    const Tensor& grad_output, const Tensor& input, const Tensor& weight,
    const Tensor& running_mean, const Tensor& running_var,
    const Tensor& save_mean, const Tensor& save_invstd, bool training,
    double eps = 1e-5, std::array<bool, 3> output_mask = {true, true, true});

// `mean` and `rstd` have shape [N, num_groups].
struct GroupNormResult {
  Tensor output, mean, rstd;
};

// Group norm over input [N, C, ...]: channels split into num_groups groups,
// each normalized over its channels and spatial dims, then the per-channel
// affine weight/bias ([C], optional). Throws ValueError unless C is
// divisible by num_groups.
GroupNormResult group_norm(const Tensor& input, int64_t num_groups,
                           const Tensor& weight = {}, const Tensor& bias = {},
                           double eps = 1e-5);
NormBackwardResult group_norm_backward(
    const Tensor& grad_output, const Tensor& input, const Tensor& mean,
    const Tensor& rstd, const Tensor& weight, int64_t num_groups,
    std::array<bool, 3> output_mask = {true, true, true});

// --- Classification losses ---------------------------------------------------

// Options shared by cross_entropy and nll_loss.
struct ClassLossOptions {
  Tensor weight;                // [C] rescaling per class, optional
  int64_t ignore_index = -100;  // class id whose targets add nothing
  Reduction reduction = Reduction::kMean;
  double label_smoothing = 0.0;  // cross_entropy only, in [0, 1]
};

// Fused log_softmax + NLL over the class dim (dim 1; dim 0 for a 1-D input).
// Input [C], [N, C] or [N, C, d1, ...]. Target either
//   * int64 class ids of shape [], [N] or [N, d1, ...]: per element
//     loss = -w[t] * logp[t] (0 where t == ignore_index); kMean divides the
//     sum by the sum of w[t] over non-ignored elements (NaN when there are
//     none). With label smoothing eps the loss is
//     (1 - eps) * nll + eps / C * smooth, smooth = -sum_c w[c] * logp[c]
//     (0 on ignored elements), reduced with the same denominator; or
//   * class probabilities with the input's shape and a floating dtype:
//     loss = -sum_c w[c] * t'[c] * logp[c] with t' = t * (1 - eps) + eps / C;
//     kMean divides by the number of elements N * d1 * ... (NaN when empty).
// Returns a 0-D tensor (kMean, kSum) or the target's shape without C (kNone).
// Throws IndexError for class ids outside [0, C) other than ignore_index,
// ValueError for mismatched shapes, a weight that is not [C], a label
// smoothing outside [0, 1], or ignore_index >= 0 with probability targets.
Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const ClassLossOptions& options = {});

// d loss / d input for cross_entropy, given grad_output with the loss's shape.
Tensor cross_entropy_backward(const Tensor& grad_output, const Tensor& input,
                              const Tensor& target,
                              const ClassLossOptions& options = {});

// Negative log likelihood of log-probabilities `input` (shapes and weighting
// as cross_entropy with class-id targets; label_smoothing must be 0).
Tensor nll_loss(const Tensor& input, const Tensor& target,
                const ClassLossOptions& options = {});
Tensor nll_loss_backward(const Tensor& grad_output, const Tensor& input,
                         const Tensor& target,
                         const ClassLossOptions& options = {});

// --- Regression losses -------------------------------------------------------

// Elementwise losses of input and target, broadcast together (as PyTorch,
// which warns about it), reduced by `reduction` (kMean of an empty tensor is
// NaN). The backward functions return d loss / d input with the broadcast
// shape; d loss / d target is its negation (summed to target's shape by
// autograd).
//   mse_loss:       (x - y)^2
//   l1_loss:        |x - y|
//   smooth_l1_loss: 0.5 (x - y)^2 / beta where |x - y| < beta, else
//                   |x - y| - 0.5 beta; beta >= 0. Its gradient is
//                   -1 where x - y <= -beta, else 1 where x - y >= beta, else
//                   (x - y) / beta (so with beta 0, x == y gives -1, as
//                   PyTorch 1.13).
Tensor mse_loss(const Tensor& input, const Tensor& target,
                Reduction reduction = Reduction::kMean);
Tensor l1_loss(const Tensor& input, const Tensor& target,
               Reduction reduction = Reduction::kMean);
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      Reduction reduction = Reduction::kMean,
                      double beta = 1.0);
Tensor mse_loss_backward(const Tensor& grad_output, const Tensor& input,
                         const Tensor& target, Reduction reduction);
Tensor l1_loss_backward(const Tensor& grad_output, const Tensor& input,
                        const Tensor& target, Reduction reduction);
Tensor smooth_l1_loss_backward(const Tensor& grad_output, const Tensor& input,
                               const Tensor& target, Reduction reduction,
                               double beta);

// Sigmoid + binary cross entropy, computed stably for any logit:
//   loss = (1 - t) x + lw * (log(1 + exp(-|x|)) + max(-x, 0)),
//   lw = 1 + (pos_weight - 1) t, times `weight`.
// target must have the input's shape; weight and pos_weight (optional)
// broadcast to it. Throws ValueError naming both sizes otherwise.
Tensor binary_cross_entropy_with_logits(const Tensor& input,
                                        const Tensor& target,
                                        const Tensor& weight = {},
                                        const Tensor& pos_weight = {},
                                        Reduction reduction = Reduction::kMean);
// d loss / d input: (sigmoid(x) (1 + (pw - 1) t) - pw t) * weight * g.
Tensor binary_cross_entropy_with_logits_backward(
    const Tensor& grad_output, const Tensor& input, const Tensor& target,
    const Tensor& weight = {}, const Tensor& pos_weight = {},
    Reduction reduction = Reduction::kMean);
// d loss / d target: -(x + (pw - 1) * log_sigmoid(x)) * weight * g.
Tensor binary_cross_entropy_with_logits_target_backward(
    const Tensor& grad_output, const Tensor& input, const Tensor& target,
    const Tensor& weight = {}, const Tensor& pos_weight = {},
    Reduction reduction = Reduction::kMean);

// --- Attention ---------------------------------------------------------------

struct AttentionResult {
  Tensor output;     // [..., L, Ev], query's dtype
  Tensor logsumexp;  // [..., L] float32 (float64 for float64 inputs)
};

// softmax(q k^T * scale + mask) v for query [..., L, E], key [..., S, E],
// value [..., S, Ev] with equal leading (batch) dims. `attn_mask`
// (optional) broadcasts to [..., L, S]: a bool mask keeps the positions that
// are true, a floating mask is added to the scores. `is_causal` keeps
// key j <= query i (the top-left aligned lower triangle) and cannot be
// combined with a mask. `scale` defaults to 1 / sqrt(E). Rows with every
// position masked give NaN, as PyTorch's math path (their logsumexp is -inf).
// Only dropout_p == 0 is supported (NotImplementedError otherwise). Returns the
// output and the per-row logsumexp of the masked, scaled scores that the
// backward needs.
AttentionResult scaled_dot_product_attention(
    const Tensor& query, const Tensor& key, const Tensor& value,
    const Tensor& attn_mask = {}, double dropout_p = 0.0,
    bool is_causal = false, std::optional<double> scale = std::nullopt);

struct AttentionBackwardResult {
  Tensor grad_query, grad_key, grad_value;
};
// Gradients of scaled_dot_product_attention from the forward's output and
// logsumexp (same arguments as the forward).
AttentionBackwardResult scaled_dot_product_attention_backward(
    const Tensor& grad_output, const Tensor& query, const Tensor& key,
    const Tensor& value, const Tensor& output, const Tensor& logsumexp,
    const Tensor& attn_mask = {}, bool is_causal = false,
    std::optional<double> scale = std::nullopt);

// --- Kernel interface (core <-> torch/kernels) -------------------------------
//
// Core hands kernels contiguous buffers of one dtype T, float32 or float64
// (16-bit inputs are converted to float32 by core, and results back), with
// statistics, parameters and logsumexp in T too, described by the plans
// below. Kernels are registered under the op names in quotes; kernels report
// bad class ids by throwing IndexError (from any ParallelFor chunk).

// "softmax" / "softmax_backward": rows along the middle dim of a contiguous
// [outer, dim, inner] buffer.
struct SoftmaxPlan {
  const void* input = nullptr;         // forward: x; backward: grad_output
  const void* output_saved = nullptr;  // backward only: forward output y
  void* output = nullptr;              // forward: y; backward: grad_input
  int64_t outer = 0, dim = 0, inner = 0;
  bool log = false;
};
using SoftmaxKernel = void(const SoftmaxPlan& plan);

// "layer_norm" / "layer_norm_backward": `rows` rows of `cols` elements;
// weight/bias/grad_* may be null.
struct LayerNormPlan {
  const void* input = nullptr;
  const void* weight = nullptr;
  const void* bias = nullptr;
  const void* grad_output = nullptr;  // backward
  void* output = nullptr;             // forward: y; backward: grad_input
  void* mean = nullptr;               // [rows]; read by the backward
  void* rstd = nullptr;
  void* grad_weight = nullptr;  // backward, [cols]
  void* grad_bias = nullptr;
  int64_t rows = 0, cols = 0;
  double eps = 0;
};
using LayerNormKernel = void(const LayerNormPlan& plan);

// "batch_norm" / "batch_norm_backward" / "group_norm" / "group_norm_backward"
// over a contiguous [N, C, HW] buffer. Group norm: `groups` > 0, mean/invstd
// are [N, groups]. Batch norm: mean/invstd are [C]; in eval mode the kernels
// read running_mean/running_var instead.
struct ChannelNormPlan {
  const void* input = nullptr;
  const void* weight = nullptr;
  const void* bias = nullptr;
  const void* grad_output = nullptr;
  void* output = nullptr;  // forward: y; backward: grad_input (may be null)
  void* mean = nullptr;
  void* invstd = nullptr;
  void* running_mean = nullptr;
  void* running_var = nullptr;
  void* grad_weight = nullptr;
  void* grad_bias = nullptr;
  int64_t n = 0, c = 0, hw = 0, groups = 0;
  bool training = true;
  double momentum = 0, eps = 0;
};
using ChannelNormKernel = void(const ChannelNormPlan& plan);

// "class_loss" / "class_loss_backward": cross_entropy (from_logits) and
// nll_loss over a contiguous [n, c, inner] input. Targets are int64 ids
// ([n, inner]) or probabilities ([n, c, inner], T). Forward writes the
// per-element loss to `loss` (kNone) or the reduced value to `loss[0]`
// (kMean, kSum). Backward reads grad_output (per element for kNone, else
// one value) and writes grad_input [n, c, inner].
struct ClassLossPlan {
  const void* input = nullptr;
  const int64_t* target_index = nullptr;
  const void* target_prob = nullptr;
  const void* weight = nullptr;  // [c] or null
  const void* grad_output = nullptr;
  void* loss = nullptr;
  void* grad_input = nullptr;
  int64_t n = 0, c = 0, inner = 0;
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::kMean;
  double label_smoothing = 0;
  bool from_logits = true;
};
using ClassLossKernel = void(const ClassLossPlan& plan);

// "pointwise_loss" / "pointwise_loss_backward": mse, l1, smooth_l1 and
// bce_with_logits over `numel` contiguous elements (weight and pos_weight
// already broadcast to numel, or null).
enum class PointwiseLossKind : uint8_t { kMse, kL1, kSmoothL1, kBceWithLogits };
struct PointwiseLossPlan {
  PointwiseLossKind kind = PointwiseLossKind::kMse;
  const void* input = nullptr;
  const void* target = nullptr;
  const void* weight = nullptr;
  const void* pos_weight = nullptr;
  const void* grad_output = nullptr;  // backward: numel values or one
  void* out = nullptr;
  int64_t numel = 0;
  Reduction reduction = Reduction::kMean;
  double beta = 1.0;
  bool wrt_target = false;  // backward: d loss / d target (bce_with_logits)
};
using PointwiseLossKernel = void(const PointwiseLossPlan& plan);

// "sdpa" / "sdpa_backward": `batch` independent problems, contiguous
// q [batch, L, E], k [batch, S, E], v [batch, S, Ev], out [batch, L, Ev],
// lse [batch, L]. The mask (null, or bool / T) of problem b starts at
// mask + mask_offsets[b] elements with strides mask_stride_l/_s.
struct AttentionPlan {
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  void* out = nullptr;
  void* lse = nullptr;
  const void* mask = nullptr;
  bool mask_is_bool = false;
  const int64_t* mask_offsets = nullptr;
  int64_t mask_stride_l = 0, mask_stride_s = 0;
  bool is_causal = false;
  double scale = 1.0;
  int64_t batch = 0, l = 0, s = 0, e = 0, ev = 0;
  // Backward: grad_output (like out) in, grads (like q, k, v) out.
  const void* grad_out = nullptr;
  void* grad_q = nullptr;
  void* grad_k = nullptr;
  void* grad_v = nullptr;
};
using AttentionKernel = void(const AttentionPlan& plan);

}  // namespace tch
