// File: torch/autograd/function.h
//
// How a differentiable op is written (see torch/autograd/functions/*.cc, the
// derivative table). Each entry runs the plain core op, then records a node
// whose formula computes the input gradients with plain core ops:
//
//   Tensor mul(const Tensor& a, const Tensor& b) {
//     Tensor out = tch::mul(a, b);
//     if (!ShouldRecord({a, b})) return out;
//     return Record("MulBackward", {a, b}, out,
//         [sa = SavedTensor(a), sb = SavedTensor(b)](const TensorList& g,
//                                                    const std::vector<bool>&
//                                                    needs) -> TensorList {
//           return {needs[0] ? tch::mul(g[0], sb.get()) : Tensor(),
//                   needs[1] ? tch::mul(g[0], sa.get()) : Tensor()};
//         });
//   }
//
// The engine reduces nothing for the formula: a formula returns gradients
// already shaped like its inputs (use SumToShape for broadcasting). Dtype
// differences are converted by the engine to each input's dtype.
// Higher-order gradients (create_graph) are not supported: formulas use
// plain ops, so the backward pass itself is not recorded.
#pragma once

#include <initializer_list>
#include <vector>

#include "torch/autograd/grad_mode.h"
#include "torch/autograd/node.h"
#include "torch/autograd/variable.h"
#include "torch/core/tensor.h"

namespace tch::autograd {

// True when grad mode is on and some defined input requires grad.
bool ShouldRecord(std::initializer_list<Tensor> inputs);
bool ShouldRecord(const TensorList& inputs);

// Attaches a FormulaNode named `name` to `outputs` (all produced from
// `inputs`; undefined inputs get no edge) and returns the outputs, now
// requiring grad. An output that aliases an input's TensorImpl (an op that
// returned its argument) is replaced by a fresh alias first.
TensorList Record(const char* name, const TensorList& inputs,
                  TensorList outputs, Formula formula);
Tensor Record(const char* name, const TensorList& inputs, Tensor output,
              Formula formula);

// `grad` summed over the dims that broadcasting added or expanded, so it has
// `shape` (the inverse of expanding `shape` to grad's shape).
Tensor SumToShape(const Tensor& grad, IntList shape);

}  // namespace tch::autograd
