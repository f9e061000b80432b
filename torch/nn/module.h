// File: torch/nn/module.h
//
// tch::nn::Module: the base of every layer and model. A module owns named
// parameters (leaf tensors that require grad), named buffers (state that is
// not trained, e.g. BatchNorm's running statistics) and named child modules,
// and computes `forward` with the differentiable ops of tch::ad. Names follow
// PyTorch exactly ("layers.0.weight", "fc.bias", "bn.running_mean"), so a
// state_dict saved by PyTorch for the same architecture loads here and the
// other way round.
//
// Modules are owned by std::shared_ptr and not copyable. Tensors returned by
// parameters() are the module's own handles: an optimizer keeps them and
// sees every later in-place update (load_state_dict, to(dtype)).
//
// Example:
//   auto model = std::make_shared<tch::nn::Sequential>();   // layers.h
//   model->push_back(std::make_shared<tch::nn::Linear>(784, 256));
//   model->push_back(std::make_shared<tch::nn::ReLU>());
//   tch::Tensor logits = model->forward(x);                 // records grads
//   for (auto& [name, p] : model->named_parameters()) ...   // "0.weight", ...
//   tch::nn::SaveSafetensors(*model, "model.safetensors");
//   tch::nn::LoadSafetensors(*model, "model.safetensors");  // strict
//
// Errors (all tch::ValueError unless noted):
//   * register_*: empty names, names containing '.', a name already used
//     by a parameter, buffer or child of the same module, undefined tensors,
//     non-floating parameters.
//   * load_state_dict(strict=true): one ValueError listing every missing key,
//     every unexpected key and every shape mismatch
//     ("layers.0.weight: expected [256, 784], got [128, 784]"); nothing is
//     modified when it throws.
//   * forward of a module that does not implement that arity:
//     tch::NotImplementedError naming the module type.
//   * LoadSafetensors: tch::IoError for unreadable or malformed files.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "torch/core/dtype.h"
#include "torch/core/tensor.h"

namespace tch::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
// Name -> tensor. The tensors share storage with the module's parameters
// and buffers but carry no autograd history (like PyTorch's state_dict()).
using StateDict = std::map<std::string, Tensor>;

// What a non-strict load_state_dict did not load.
struct LoadReport {
  std::vector<std::string> missing_keys;     // in the module, not the dict
  std::vector<std::string> unexpected_keys;  // in the dict, not the module
  // "name: expected [a, b], got [c, d]"; these entries were not loaded.
  std::vector<std::string> shape_mismatches;

  bool ok() const {
    return missing_keys.empty() && unexpected_keys.empty() &&
           shape_mismatches.empty();
  }
  // One multi-line description ("" when ok()).
  std::string ToString() const;
};

class Module : public std::enable_shared_from_this<Module> {
 public:
  // `type_name` is what printing and error messages call the module
  // ("Linear", "Sequential", ...).
  explicit Module(std::string type_name = "Module");
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  const std::string& type_name() const { return type_name_; }

  // The computation. The default throws NotImplementedError; layers
  // override it. Inputs and outputs are ordinary tensors; gradients flow
  // when recording is on (tch::autograd::GradMode).
  virtual Tensor forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return forward(x); }

  // --- Registration (call from constructors) -----------------------------
  // Stores `t` as parameter `name`, marking it requires_grad when
  // `requires_grad` (it must then be a floating leaf), and returns it.
  Tensor register_parameter(const std::string& name, Tensor t,
                            bool requires_grad = true);
  // Stores `t` as buffer `name`. Non-persistent buffers are left out of
  // state_dict() (PyTorch's persistent=False).
  Tensor register_buffer(const std::string& name, Tensor t,
                         bool persistent = true);
  // Adds `module` as child `name` and returns it, keeping its type.
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name,
                                     std::shared_ptr<M> module) {
    RegisterModuleImpl(name, module);
    return module;
  }
  // Replaces the child, parameter or buffer `name` registered earlier (same
  // kind); throws ValueError when there is none.
  void replace_module(const std::string& name, std::shared_ptr<Module> module);
  void replace_parameter(const std::string& name, Tensor t);
  void replace_buffer(const std::string& name, Tensor t);

  // --- Traversal (registration order, PyTorch's dotted names) -------------
  // Parameters of this module and, with `recurse`, of all descendants. A
  // tensor reachable under several names (tied weights) is listed once,
  // under its first name, like PyTorch's named_parameters().
  NamedTensors named_parameters(bool recurse = true) const;
  NamedTensors named_buffers(bool recurse = true) const;
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children()
      const;
  std::vector<std::shared_ptr<Module>> children() const;
  // This module (name "") and every descendant, depth first.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules()
      const;
  // The child `name` (dotted paths allowed: "layers.0"); nullptr if none.
  std::shared_ptr<Module> get_submodule(const std::string& path) const;
  // Total number of elements of parameters() (tied weights counted once).
  int64_t num_parameters(bool only_trainable = false) const;

  // --- Modes ---------------------------------------------------------------
  // Sets training mode on this module and every descendant (Dropout and
  // BatchNorm behave differently in eval mode).
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Clears (set_to_none) or zeroes the gradient of every parameter.
  void zero_grad(bool set_to_none = true);

  // Converts every floating-point parameter and buffer to `dtype` in place:
  // the handles held elsewhere (optimizers) stay valid and see the new
  // dtype. Gradients are cleared. Integer buffers (num_batches_tracked) are
  // kept, as in PyTorch.
  void to(DType dtype);

  // --- State ---------------------------------------------------------------
  // Every parameter and persistent buffer by dotted name. Unlike
  // named_parameters(), tied tensors appear under each of their names, as
  // in PyTorch.
  StateDict state_dict() const;
  // Copies `dict`'s values into the parameters and buffers in place (no
  // gradient recorded; dtypes converted to the module's). strict=true
  // throws ValueError listing every problem, before modifying anything;
  // strict=false loads what matches and returns the rest in the report.
  LoadReport load_state_dict(const StateDict& dict, bool strict = true);

  // Calls `fn` on every module (descendants first, then this one).
  void apply(const std::function<void(Module&)>& fn);

  // PyTorch-style multi-line description:
  //   Sequential(
  //     (0): Linear(in_features=784, out_features=256, bias=true)
  //     (1): ReLU()
  //   )
  std::string ToString() const;

 protected:
  // The text inside the parentheses of ToString() for this module.
  virtual std::string extra_repr() const { return ""; }

 private:
  struct Entry {
    std::string name;
    Tensor tensor;
    bool persistent = true;
  };

  void RegisterModuleImpl(const std::string& name,
                          std::shared_ptr<Module> module);
  void CheckNewName(const std::string& name, const char* what) const;
  // Appends (prefix + name, tensor) for every parameter/buffer in the tree;
  // `persistent_only` skips non-persistent buffers.
  void CollectState(const std::string& prefix, bool params, bool buffers,
                    bool persistent_only, NamedTensors* out) const;
  void ToString(std::string* out, int indent) const;

  std::string type_name_;
  bool training_ = true;
  std::vector<Entry> parameters_;
  std::vector<Entry> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

// Writes module.state_dict() to a safetensors file, atomically; names are
// PyTorch's, so `safetensors.torch.load_file` + `load_state_dict` reads it.
void SaveSafetensors(const Module& module, const std::string& path,
                     const std::map<std::string, std::string>& metadata = {});
// Loads a safetensors file into `module` via load_state_dict(strict).
// Errors: IoError naming the file; ValueError as in load_state_dict.
LoadReport LoadSafetensors(Module& module, const std::string& path,
                           bool strict = true);

}  // namespace tch::nn
