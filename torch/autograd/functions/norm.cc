// Derivatives of softmax, normalization, losses and attention
// (torch/core/norm_ops.h). Formulas call the core backward kernels; the few
// gradients core has no kernel for (class-probability targets, the weights
// of binary_cross_entropy_with_logits, a floating attention mask) are
// composed from plain core ops.
#include "torch/autograd/functions/norm.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "torch/autograd/function.h"
#include "torch/core/error.h"
#include "torch/core/linalg_ops.h"
#include "torch/core/ops.h"
#include "torch/core/pointwise_ops.h"
#include "torch/core/reduce_ops.h"

namespace tch::ad {
namespace {
using autograd::Record;
using autograd::SavedTensor;
using autograd::ShouldRecord;
using autograd::SumToShape;
using autograd::TensorList;
using Needs = std::vector<bool>;

std::array<bool, 3> Mask3(const Needs& needs) {
  return {needs[0], needs[1], needs[2]};
}

TensorList NormGrads(const NormBackwardResult& r) {
  return {r.grad_input, r.grad_weight, r.grad_bias};
}

// d(reduced loss) / d(per-element loss) times the upstream gradient, applied
// to `per_element` (the derivative of each element's loss): g itself for
// kNone (same shape), g broadcast for kSum, g / numel for kMean.
Tensor ApplyReduction(const Tensor& per_element, const Tensor& g,
                      Reduction reduction) {
  Tensor scaled = tch::mul(per_element, g);
  if (reduction == Reduction::kMean) {
    scaled = tch::div(scaled, static_cast<double>(per_element.numel()));
  }
  return scaled;
}

// The class-loss weight is not differentiable (as in PyTorch); say so when
// a backward needs it rather than leaving its gradient silently empty.
void CheckWeightNotNeeded(const char* op, bool needed) {
  TCH_CHECK_T(NotImplementedError, !needed, op,
              ": the derivative for 'weight' (options.weight) is not "
              "implemented; detach it or set requires_grad off");
}

// d cross_entropy / d target for class-probability targets:
// -(1 - label_smoothing) * w[c] * log_softmax(input)[c], reduced like the
// loss (kMean divides by the number of elements without the class dim).
Tensor ProbTargetGrad(const Tensor& g, const Tensor& input,
                      const ClassLossOptions& options) {
  const int64_t class_dim = input.dim() == 1 ? 0 : 1;
  Tensor d = tch::mul(tch::log_softmax(input, class_dim),
                      -(1.0 - options.label_smoothing));
  Shape per_class(static_cast<size_t>(input.dim() - class_dim), 1);
  per_class[0] = input.size(class_dim);
  if (options.weight.defined()) {
    d = tch::mul(d, options.weight.to(d.dtype()).view(per_class));
  }
  Tensor upstream = g;
  if (options.reduction == Reduction::kNone) {
    upstream = g.unsqueeze(class_dim);
  } else if (options.reduction == Reduction::kMean) {
    const int64_t count =
        input.numel() / std::max<int64_t>(input.size(class_dim), 1);
    upstream = tch::div(g, static_cast<double>(count));
  }
  return tch::mul(d, upstream);
}

// The node of cross_entropy and nll_loss. `target_input` is the target when
// it is differentiable (class probabilities), else undefined.
Tensor RecordClassLoss(const char* name, bool logits, const Tensor& input,
                       const Tensor& target, const Tensor& target_input,
                       const ClassLossOptions& options, Tensor out) {
  ClassLossOptions saved_options = options;
  saved_options.weight = Tensor();  // kept as a SavedTensor below
  return Record(
      name, {input, target_input, options.weight}, std::move(out),
      [name, logits, si = SavedTensor(input), st = SavedTensor(target),
       sw = SavedTensor(options.weight),
       saved_options](const TensorList& g, const Needs& needs) -> TensorList {
        CheckWeightNotNeeded(name, needs[2]);
        ClassLossOptions o = saved_options;
        o.weight = sw.get();
        Tensor gi, gt;
        if (needs[0]) {
          gi = logits ? tch::cross_entropy_backward(g[0], si.get(), st.get(), o)
                      : tch::nll_loss_backward(g[0], si.get(), st.get(), o);
        }
        if (needs[1]) gt = ProbTargetGrad(g[0], si.get(), o);
        return {gi, gt, Tensor()};
      });
}

using PointwiseLossBackward = Tensor (*)(const Tensor&, const Tensor&,
                                         const Tensor&, Reduction);

// mse / l1: the kernel's d loss / d input has the broadcast shape; the
// target's gradient is its negation. Both are summed back to each shape.
Tensor RecordPointwiseLoss(const char* name, PointwiseLossBackward backward,
                           const Tensor& input, const Tensor& target,
                           Reduction reduction, Tensor out) {
  return Record(name, {input, target}, std::move(out),
                [backward, si = SavedTensor(input), st = SavedTensor(target),
                 reduction, shape_i = input.sizes(), shape_t = target.sizes()](
                    const TensorList& g, const Needs& needs) -> TensorList {
                  Tensor d = backward(g[0], si.get(), st.get(), reduction);
                  return {needs[0] ? SumToShape(d, shape_i) : Tensor(),
                          needs[1] ? SumToShape(-d, shape_t) : Tensor()};
                });
}

}  // namespace

// --- Softmax -----------------------------------------------------------------

Tensor softmax(const Tensor& input, int64_t dim, std::optional<DType> dtype) {
  Tensor out = tch::softmax(input, dim, dtype);
  if (!ShouldRecord({input})) return out;
  return Record("SoftmaxBackward", {input}, out,
                [so = SavedTensor(out), dim](const TensorList& g,
                                             const Needs&) -> TensorList {
                  return {tch::softmax_backward(g[0], so.get(), dim)};
                });
}

Tensor log_softmax(const Tensor& input, int64_t dim,
                   std::optional<DType> dtype) {
  Tensor out = tch::log_softmax(input, dim, dtype);
  if (!ShouldRecord({input})) return out;
  return Record("LogSoftmaxBackward", {input}, out,
                [so = SavedTensor(out), dim](const TensorList& g,
                                             const Needs&) -> TensorList {
                  return {tch::log_softmax_backward(g[0], so.get(), dim)};
                });
}

// --- Layer, batch and group norm ---------------------------------------------

Tensor layer_norm(const Tensor& input, IntList normalized_shape,
                  const Tensor& weight, const Tensor& bias, double eps) {
  LayerNormResult r =
      tch::layer_norm(input, normalized_shape, weight, bias, eps);
  if (!ShouldRecord({input, weight, bias})) return r.output;
  return Record(
      "NativeLayerNormBackward", {input, weight, bias}, std::move(r.output),
      [si = SavedTensor(input), sw = SavedTensor(weight), mean = r.mean,
       rstd = r.rstd, shape = normalized_shape.ToShape()](
          const TensorList& g, const Needs& needs) -> TensorList {
        return NormGrads(tch::layer_norm_backward(g[0], si.get(), shape, mean,
                                                  rstd, sw.get(), Tensor(),
                                                  Mask3(needs)));
      });
}

Tensor batch_norm(const Tensor& input, const Tensor& running_mean,
                  const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum,
                  double eps) {
  BatchNormResult r = tch::batch_norm(input, running_mean, running_var, weight,
                                      bias, training, momentum, eps);
  if (!ShouldRecord({input, weight, bias})) return r.output;
  // Training: the batch statistics (private to the node). Eval: the running
  // statistics, saved after the forward (which left them unchanged).
  return Record("NativeBatchNormBackward", {input, weight, bias},
                std::move(r.output),
                [si = SavedTensor(input), sw = SavedTensor(weight),
                 srm = training ? SavedTensor() : SavedTensor(running_mean),
                 srv = training ? SavedTensor() : SavedTensor(running_var),
                 save_mean = r.save_mean, save_invstd = r.save_invstd, training,
                 eps](const TensorList& g, const Needs& needs) -> TensorList {
                  return NormGrads(tch::batch_norm_backward(
                      g[0], si.get(), sw.get(), srm.get(), srv.get(), save_mean,
                      save_invstd, training, eps, Mask3(needs)));
                });
}

Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight,
                  const Tensor& bias, double eps) {
  GroupNormResult r = tch::group_norm(input, num_groups, weight, bias, eps);
  if (!ShouldRecord({input, weight, bias})) return r.output;
  return Record(
      "NativeGroupNormBackward", {input, weight, bias}, std::move(r.output),
      [si = SavedTensor(input), sw = SavedTensor(weight), mean = r.mean,
       rstd = r.rstd,
       num_groups](const TensorList& g, const Needs& needs) -> TensorList {
        return NormGrads(tch::group_norm_backward(
            g[0], si.get(), mean, rstd, sw.get(), num_groups, Mask3(needs)));
      });
}

// --- Classification losses ---------------------------------------------------

Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const ClassLossOptions& options) {
  Tensor out = tch::cross_entropy(input, target, options);
  // The forward accepted it, so a floating target holds class probabilities.
  const Tensor target_input =
      IsFloatingPoint(target.dtype()) ? target : Tensor();
  if (!ShouldRecord({input, target_input, options.weight})) return out;
  return RecordClassLoss("CrossEntropyLossBackward", /*logits=*/true, input,
                         target, target_input, options, std::move(out));
}

Tensor nll_loss(const Tensor& input, const Tensor& target,
                const ClassLossOptions& options) {
  Tensor out = tch::nll_loss(input, target, options);
  if (!ShouldRecord({input, options.weight})) return out;
  return RecordClassLoss("NllLossBackward", /*logits=*/false, input, target,
                         Tensor(), options, std::move(out));
}

// --- Regression losses -------------------------------------------------------

Tensor mse_loss(const Tensor& input, const Tensor& target,
                Reduction reduction) {
  Tensor out = tch::mse_loss(input, target, reduction);
  if (!ShouldRecord({input, target})) return out;
  return RecordPointwiseLoss("MseLossBackward", &tch::mse_loss_backward, input,
                             target, reduction, std::move(out));
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  Tensor out = tch::l1_loss(input, target, reduction);
  if (!ShouldRecord({input, target})) return out;
  return RecordPointwiseLoss("L1LossBackward", &tch::l1_loss_backward, input,
                             target, reduction, std::move(out));
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      Reduction reduction, double beta) {
  Tensor out = tch::smooth_l1_loss(input, target, reduction, beta);
  if (!ShouldRecord({input, target})) return out;
  return Record("SmoothL1LossBackward", {input, target}, std::move(out),
                [si = SavedTensor(input), st = SavedTensor(target), reduction,
                 beta, shape_i = input.sizes(), shape_t = target.sizes()](
                    const TensorList& g, const Needs& needs) -> TensorList {
                  Tensor d = tch::smooth_l1_loss_backward(
                      g[0], si.get(), st.get(), reduction, beta);
                  return {needs[0] ? SumToShape(d, shape_i) : Tensor(),
                          needs[1] ? SumToShape(-d, shape_t) : Tensor()};
                });
}

Tensor binary_cross_entropy_with_logits(const Tensor& input,
                                        const Tensor& target,
                                        const Tensor& weight,
                                        const Tensor& pos_weight,
                                        Reduction reduction) {
  Tensor out = tch::binary_cross_entropy_with_logits(input, target, weight,
                                                     pos_weight, reduction);
  if (!ShouldRecord({input, target, weight, pos_weight})) return out;
  return Record(
      "BinaryCrossEntropyWithLogitsBackward",
      {input, target, weight, pos_weight}, std::move(out),
      [si = SavedTensor(input), st = SavedTensor(target),
       sw = SavedTensor(weight), spw = SavedTensor(pos_weight),
       reduction](const TensorList& g, const Needs& needs) -> TensorList {
        const Tensor& x = si.get();
        const Tensor& t = st.get();
        const Tensor& w = sw.get();
        const Tensor& pw = spw.get();
        TensorList grads(4);
        if (needs[0]) {
          grads[0] = tch::binary_cross_entropy_with_logits_backward(
              g[0], x, t, w, pw, reduction);
        }
        if (needs[1]) {
          grads[1] = tch::binary_cross_entropy_with_logits_target_backward(
              g[0], x, t, w, pw, reduction);
        }
        if (needs[2]) {
          // The loss is linear in weight: its gradient is the unweighted
          // per-element loss.
          Tensor unweighted = tch::binary_cross_entropy_with_logits(
              x, t, Tensor(), pw, Reduction::kNone);
          grads[2] = SumToShape(ApplyReduction(unweighted, g[0], reduction),
                                w.sizes());
        }
        if (needs[3]) {
          // d loss / d pos_weight = weight * t * softplus(-x); softplus(-x)
          // is the stable loss of a target of ones.
          Tensor d = tch::mul(t, tch::binary_cross_entropy_with_logits(
                                     x, tch::ones_like(x), Tensor(), Tensor(),
                                     Reduction::kNone));
          if (w.defined()) d = tch::mul(d, w);
          grads[3] = SumToShape(ApplyReduction(d, g[0], reduction), pw.sizes());
        }
        return grads;
      });
}

// --- Attention ---------------------------------------------------------------

Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key,
                                    const Tensor& value,
                                    const Tensor& attn_mask, double dropout_p,
                                    bool is_causal,
                                    std::optional<double> scale) {
  AttentionResult r = tch::scaled_dot_product_attention(
      query, key, value, attn_mask, dropout_p, is_causal, scale);
  // A bool mask selects positions; only an additive (floating) one has a
  // gradient.
  const Tensor float_mask =
      attn_mask.defined() && IsFloatingPoint(attn_mask.dtype()) ? attn_mask
                                                                : Tensor();
  if (!ShouldRecord({query, key, value, float_mask})) return r.output;
  return Record(
      "ScaledDotProductAttentionBackward", {query, key, value, float_mask},
      r.output,
      [sq = SavedTensor(query), sk = SavedTensor(key), sv = SavedTensor(value),
       so = SavedTensor(r.output), smask = SavedTensor(attn_mask),
       lse = r.logsumexp, is_causal,
       scale](const TensorList& g, const Needs& needs) -> TensorList {
        const Tensor &q = sq.get(), &k = sk.get(), &v = sv.get();
        const Tensor &o = so.get(), &mask = smask.get();
        TensorList grads(4);
        if (needs[0] || needs[1] || needs[2]) {
          AttentionBackwardResult b =
              tch::scaled_dot_product_attention_backward(
                  g[0], q, k, v, o, lse, mask, is_causal, scale);
          if (needs[0]) grads[0] = b.grad_query;
          if (needs[1]) grads[1] = b.grad_key;
          if (needs[2]) grads[2] = b.grad_value;
        }
        if (needs[3]) {
          // d scores = P * (dO v^T - rowsum(dO * O)) with
          // P = exp(q k^T * scale + mask - logsumexp).
          const double s =
              scale.value_or(1.0 / std::sqrt(static_cast<double>(q.size(-1))));
          Tensor scores =
              tch::add(tch::mul(tch::matmul(q, k.transpose(-2, -1)), s),
                       mask.to(q.dtype()));
          Tensor p =
              tch::exp(tch::sub(scores, lse.to(q.dtype()).unsqueeze(-1)));
          Tensor dp = tch::matmul(g[0], v.transpose(-2, -1));
          Tensor row = tch::sum(tch::mul(g[0], o), {-1}, /*keepdim=*/true);
          grads[3] = SumToShape(tch::mul(p, tch::sub(dp, row)), mask.sizes());
        }
        return grads;
      });
}

}  // namespace tch::ad
