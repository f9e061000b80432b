// tch's half of the tch-vs-libtorch comparison (see compare_cases.h). Built
// by Bazel into libtch_compare.so, which compare.sh links with the libtorch
// half.
#include <stdexcept>
#include <string>
#include <vector>

#include "benchmarks/compare_cases.h"
#include "torch/core/dtype.h"
#include "torch/core/linalg_ops.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/core/tensor.h"

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
    in.push_back(Make(c.shapes[i], static_cast<int>(i), dtype));
  }
  auto out = std::make_shared<tch::Tensor>();
  std::function<tch::Tensor()> fn;
  if (c.op == "mm") {
    fn = [in] { return tch::mm(in[0], in[1]); };
  } else if (c.op == "linear") {  // x [n, in], w [out, in], b [out]
    fn = [in] { return tch::addmm(in[2], in[0], in[1].t()); };
  } else if (c.op == "addmm") {
    fn = [in] { return tch::addmm(in[0], in[1], in[2]); };
  } else if (c.op == "bmm") {
    fn = [in] { return tch::bmm(in[0], in[1]); };
  } else if (c.op == "bmm_nt") {  // a [b, n, k] @ b[b, m, k]^T
    fn = [in] { return tch::bmm(in[0], in[1].transpose(1, 2)); };
  } else if (c.op == "matmul") {
    fn = [in] { return tch::matmul(in[0], in[1]); };
  } else {
    throw std::runtime_error("tch: unknown comparison op '" + c.op + "'");
  }
  Runner r;
  r.run = [fn, out] { *out = fn(); };
  r.result = [out] { return out->contiguous().ToVector<float>(); };
  return r;
}

}  // namespace compare
