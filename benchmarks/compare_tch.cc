// tch's half of the tch-vs-libtorch comparison (see compare_cases.h). Built
// by Bazel into libtch_compare.so, which compare.sh links with the libtorch
// half.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "benchmarks/compare_cases.h"
#include "torch/tch.h"

namespace compare {
namespace {

tch::Tensor Make(const std::vector<int64_t>& shape, int seed,
                 tch::DType dtype) {
  const int64_t n = tch::NumElements(shape);
  return tch::from_vector(Values(seed, n), shape).to(dtype);
}

}  // namespace

void SetTchThreads(int threads) { tch::SetNumThreads(threads); }

Runner MakeTchRunner(const Case& c) {
  const tch::DType dtype = tch::ParseDType(c.dtype);
  std::vector<tch::Tensor> in;
  for (size_t i = 0; i < c.shapes.size(); ++i) {
    const int64_t range = IndexRange(c, i);
    const int seed = static_cast<int>(i);
    in.push_back(range > 0
                     ? tch::from_vector(
                           Indices(seed, tch::NumElements(c.shapes[i]), range),
                           c.shapes[i])
                     : Make(c.shapes[i], seed, dtype));
  }
  using Outputs = std::vector<tch::Tensor>;
  auto out = std::make_shared<Outputs>();
  std::function<Outputs()> fn;
  if (c.op == "mm") {
    fn = [in] { return Outputs{tch::mm(in[0], in[1])}; };
  } else if (c.op == "linear") {  // x [n, in], w [out, in], b [out]
    fn = [in] { return Outputs{tch::addmm(in[2], in[0], in[1].t())}; };
  } else if (c.op == "addmm") {
    fn = [in] { return Outputs{tch::addmm(in[0], in[1], in[2])}; };
  } else if (c.op == "bmm") {
    fn = [in] { return Outputs{tch::bmm(in[0], in[1])}; };
  } else if (c.op == "bmm_nt") {  // a [b, n, k] @ b[b, m, k]^T
    fn = [in] { return Outputs{tch::bmm(in[0], in[1].transpose(1, 2))}; };
  } else if (c.op == "matmul") {
    fn = [in] { return Outputs{tch::matmul(in[0], in[1])}; };
  } else if (c.op == "relu") {
    fn = [in] { return Outputs{tch::relu(in[0])}; };
  } else if (c.op == "gelu") {
    fn = [in] { return Outputs{tch::gelu(in[0])}; };
  } else if (c.op == "add") {
    fn = [in] { return Outputs{tch::add(in[0], in[1])}; };
  } else if (c.op == "sum") {
    fn = [in] { return Outputs{tch::sum(in[0])}; };
  } else if (c.op == "sum_dim0") {
    fn = [in] { return Outputs{tch::sum(in[0], {0})}; };
  } else if (c.op == "mean") {
    fn = [in] { return Outputs{tch::mean(in[0])}; };
  } else if (c.op == "softmax") {
    fn = [in] { return Outputs{tch::softmax(in[0], -1)}; };
  } else if (c.op == "cross_entropy") {
    fn = [in] { return Outputs{tch::cross_entropy(in[0], in[1])}; };
  } else if (c.op == "cross_entropy_fwd_bwd") {
    fn = [in] {
      tch::Tensor loss = tch::cross_entropy(in[0], in[1]);
      tch::Tensor grad =
          tch::cross_entropy_backward(tch::ones_like(loss), in[0], in[1]);
      return Outputs{loss, grad};
    };
  } else if (c.op == "conv2d") {  // x, w [O, C, k, k], b; stride 1, pad k/2
    const int64_t pad = c.shapes[1][2] / 2;
    fn = [in, pad] {
      return Outputs{tch::conv2d(in[0], in[1], in[2], {1}, {pad})};
    };
  } else if (c.op == "conv2d_bwd" || c.op == "conv2d_bwd_wb") {
    // x, w, b, grad_output; _wb: no grad_input (a first layer).
    const int64_t pad = c.shapes[1][2] / 2;
    const bool grad_input = c.op == "conv2d_bwd";
    fn = [in, pad, grad_input] {
      tch::Conv2dGrads g = tch::conv2d_backward(
          in[3], in[0], in[1], {1}, {pad}, {1}, 1, {grad_input, true, true});
      Outputs o{g.grad_weight, g.grad_bias};
      if (grad_input) o.push_back(g.grad_input);
      return o;
    };
  } else if (c.op == "max_pool2d") {  // 2x2, stride 2, with indices
    fn = [in] {
      auto [values, indices] = tch::max_pool2d_with_indices(in[0], {2});
      return Outputs{values, indices};
    };
  } else if (c.op == "max_pool2d_bwd") {  // x, grad_output; 2x2, stride 2
    const tch::Tensor indices = tch::max_pool2d_with_indices(in[0], {2}).second;
    fn = [in, indices] {
      return Outputs{tch::max_pool2d_backward(in[1], in[0], indices)};
    };
  } else if (c.op == "batch_norm") {  // x [N, C, ...], weight [C], bias [C]
    const int64_t channels = c.shapes[0][1];
    tch::Tensor running_mean = tch::zeros({channels});
    tch::Tensor running_var = tch::ones({channels});
    fn = [in, running_mean, running_var] {
      tch::BatchNormResult r = tch::batch_norm(in[0], running_mean, running_var,
                                               in[1], in[2], /*training=*/true);
      return Outputs{r.output, r.save_mean, r.save_invstd};
    };
  } else if (c.op == "layer_norm") {  // x [.., D], weight [D], bias [D]
    const int64_t d = c.shapes[1][0];
    fn = [in, d] {
      tch::LayerNormResult r = tch::layer_norm(in[0], {d}, in[1], in[2]);
      return Outputs{r.output, r.mean, r.rstd};
    };
  } else if (c.op == "embedding") {  // weight [V, D], int64 ids
    fn = [in] { return Outputs{tch::embedding(in[0], in[1])}; };
  } else if (c.op == "sdpa_causal") {  // q, k, v [B, h, T, E]
    fn = [in] {
      return Outputs{tch::scaled_dot_product_attention(in[0], in[1], in[2], {},
                                                       0.0, /*is_causal=*/true)
                         .output};
    };
  } else {
    throw std::runtime_error("tch: unknown comparison op '" + c.op + "'");
  }
  Runner r;
  r.run = [fn, out] { *out = fn(); };
  r.result = [out] {
    std::vector<float> all;
    for (const tch::Tensor& t : *out) {
      std::vector<float> v =
          t.to(tch::DType::kFloat32).contiguous().ToVector<float>();
      all.insert(all.end(), v.begin(), v.end());
    }
    return all;
  };
  return r;
}

}  // namespace compare
