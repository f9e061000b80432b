// File: torch/nn/module.cc
#include "torch/nn/module.h"

#include <set>
#include <sstream>

#include "torch/autograd/grad_mode.h"
#include "torch/autograd/variable.h"
#include "torch/core/error.h"
#include "torch/core/serialize.h"

namespace tch::nn {

std::string LoadReport::ToString() const {
  std::ostringstream out;
  auto list = [&out](const char* title, const std::vector<std::string>& v) {
    if (v.empty()) return;
    out << title << ":";
    for (const std::string& s : v) out << "\n  " << s;
    out << "\n";
  };
  list("missing keys", missing_keys);
  list("unexpected keys", unexpected_keys);
  list("shape mismatches", shape_mismatches);
  return out.str();
}

Module::Module(std::string type_name) : type_name_(std::move(type_name)) {}

Tensor Module::forward(const Tensor& /*x*/) {
  TCH_CHECK_T(NotImplementedError, false, type_name_,
              ": forward(x) is not implemented for this module");
  return Tensor();
}

void Module::CheckNewName(const std::string& name, const char* what) const {
  TCH_CHECK(!name.empty(), type_name_, ": ", what, " name must not be empty");
  TCH_CHECK(name.find('.') == std::string::npos, type_name_, ": ", what,
            " name '", name, "' must not contain '.'");
  auto used = [&name](const auto& v) {
    for (const auto& e : v) {
      if (e.first == name) return true;
    }
    return false;
  };
  bool taken = used(children_);
  for (const Entry& e : parameters_) taken = taken || e.name == name;
  for (const Entry& e : buffers_) taken = taken || e.name == name;
  TCH_CHECK(!taken, type_name_, ": cannot register ", what, " '", name,
            "': the name is already used by a parameter, buffer or child");
}

Tensor Module::register_parameter(const std::string& name, Tensor t,
                                  bool requires_grad) {
  CheckNewName(name, "parameter");
  TCH_CHECK(t.defined(), type_name_, ": parameter '", name,
            "' is an undefined tensor");
  if (requires_grad) {
    TCH_CHECK(IsFloatingPoint(t.dtype()), type_name_, ": parameter '", name,
              "' must be floating point to require grad, got ",
              DTypeName(t.dtype()));
    autograd::requires_grad_(t, true);
  }
  parameters_.push_back({name, t, true});
  return t;
}

Tensor Module::register_buffer(const std::string& name, Tensor t,
                               bool persistent) {
  CheckNewName(name, "buffer");
  TCH_CHECK(t.defined(), type_name_, ": buffer '", name,
            "' is an undefined tensor");
  buffers_.push_back({name, t, persistent});
  return t;
}

void Module::RegisterModuleImpl(const std::string& name,
                                std::shared_ptr<Module> module) {
  CheckNewName(name, "module");
  TCH_CHECK(module != nullptr, type_name_, ": child module '", name,
            "' is null");
  TCH_CHECK(module.get() != this, type_name_,
            ": a module cannot be its own child ('", name, "')");
  children_.emplace_back(name, std::move(module));
}

void Module::replace_module(const std::string& name,
                            std::shared_ptr<Module> module) {
  TCH_CHECK(module != nullptr, type_name_, ": replacement for child '", name,
            "' is null");
  for (auto& [n, m] : children_) {
    if (n == name) {
      m = std::move(module);
      return;
    }
  }
  TCH_CHECK(false, type_name_, ": no child module named '", name, "'");
}

void Module::replace_parameter(const std::string& name, Tensor t) {
  for (Entry& e : parameters_) {
    if (e.name == name) {
      TCH_CHECK(t.defined() && IsFloatingPoint(t.dtype()), type_name_,
                ": replacement for parameter '", name,
                "' must be a defined floating-point tensor");
      if (!autograd::requires_grad(t)) autograd::requires_grad_(t, true);
      e.tensor = std::move(t);
      return;
    }
  }
  TCH_CHECK(false, type_name_, ": no parameter named '", name, "'");
}

void Module::replace_buffer(const std::string& name, Tensor t) {
  for (Entry& e : buffers_) {
    if (e.name == name) {
      TCH_CHECK(t.defined(), type_name_, ": replacement for buffer '", name,
                "' is undefined");
      e.tensor = std::move(t);
      return;
    }
  }
  TCH_CHECK(false, type_name_, ": no buffer named '", name, "'");
}

void Module::CollectState(const std::string& prefix, bool params, bool buffers,
                          bool persistent_only, NamedTensors* out) const {
  if (params) {
    for (const Entry& e : parameters_)
      out->emplace_back(prefix + e.name, e.tensor);
  }
  if (buffers) {
    for (const Entry& e : buffers_) {
      if (persistent_only && !e.persistent) continue;
      out->emplace_back(prefix + e.name, e.tensor);
    }
  }
  for (const auto& [name, child] : children_) {
    child->CollectState(prefix + name + ".", params, buffers, persistent_only,
                        out);
  }
}

namespace {
// Keeps the first occurrence of each tensor (by impl), like PyTorch's
// remove_duplicate=True.
NamedTensors Dedup(NamedTensors all) {
  std::set<const TensorImpl*> seen;
  NamedTensors out;
  for (auto& [name, t] : all) {
    if (seen.insert(t.impl()).second) out.emplace_back(name, t);
  }
  return out;
}
}  // namespace

NamedTensors Module::named_parameters(bool recurse) const {
  NamedTensors all;
  if (recurse) {
    CollectState("", true, false, false, &all);
  } else {
    for (const Entry& e : parameters_) all.emplace_back(e.name, e.tensor);
  }
  return Dedup(std::move(all));
}

NamedTensors Module::named_buffers(bool recurse) const {
  NamedTensors all;
  if (recurse) {
    CollectState("", false, true, false, &all);
  } else {
    for (const Entry& e : buffers_) all.emplace_back(e.name, e.tensor);
  }
  return Dedup(std::move(all));
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters(recurse)) out.push_back(t);
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_buffers(recurse)) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>>
Module::named_children() const {
  return children_;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& [name, m] : children_) out.push_back(m);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>>
Module::named_modules() const {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  // shared_from_this needs a shared owner; a stack-allocated root is listed
  // with a non-owning pointer.
  std::shared_ptr<const Module> self = weak_from_this().lock();
  std::shared_ptr<Module> me =
      self ? std::const_pointer_cast<Module>(self)
           : std::shared_ptr<Module>(std::shared_ptr<Module>(),
                                     const_cast<Module*>(this));
  out.emplace_back("", me);
  for (const auto& [name, child] : children_) {
    for (auto& [sub, m] : child->named_modules()) {
      out.emplace_back(sub.empty() ? name : name + "." + sub, m);
    }
  }
  return out;
}

std::shared_ptr<Module> Module::get_submodule(const std::string& path) const {
  const Module* cur = this;
  std::shared_ptr<Module> found;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(
        start, dot == std::string::npos ? std::string::npos : dot - start);
    found = nullptr;
    for (const auto& [name, child] : cur->children_) {
      if (name == part) found = child;
    }
    if (!found) return nullptr;
    cur = found.get();
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return found;
}

int64_t Module::num_parameters(bool only_trainable) const {
  int64_t n = 0;
  for (const Tensor& p : parameters()) {
    if (only_trainable && !autograd::requires_grad(p)) continue;
    n += p.numel();
  }
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad(bool set_to_none) {
  for (const Tensor& p : parameters()) {
    if (autograd::grad_of(p).defined()) autograd::zero_grad(p, set_to_none);
  }
}

void Module::to(DType dtype) {
  autograd::NoGradGuard no_grad;
  NamedTensors all;
  CollectState("", true, true, false, &all);
  for (auto& [name, t] : Dedup(std::move(all))) {
    if (!IsFloatingPoint(t.dtype()) || t.dtype() == dtype) continue;
    if (autograd::grad_of(t).defined()) autograd::set_grad(t, Tensor());
    // Swap the data of the existing impl so every handle sees the change.
    Tensor converted = t.to(dtype).contiguous();
    TensorImpl* impl = t.impl();
    impl->storage = converted.storage();
    impl->sizes = converted.sizes();
    impl->strides = converted.strides();
    impl->storage_offset = converted.storage_offset();
    impl->dtype = dtype;
  }
}

StateDict Module::state_dict() const {
  NamedTensors all;
  CollectState("", true, true, true, &all);
  StateDict out;
  for (auto& [name, t] : all) out.emplace(name, ad::detach(t));
  return out;
}

LoadReport Module::load_state_dict(const StateDict& dict, bool strict) {
  NamedTensors mine;
  CollectState("", true, true, true, &mine);
  LoadReport report;
  std::set<std::string> known;
  std::vector<std::pair<Tensor, Tensor>> copies;  // (destination, source)
  for (auto& [name, t] : mine) {
    known.insert(name);
    auto it = dict.find(name);
    if (it == dict.end()) {
      report.missing_keys.push_back(name);
      continue;
    }
    const Tensor& src = it->second;
    if (!src.defined() || src.sizes() != t.sizes()) {
      report.shape_mismatches.push_back(
          name + ": expected " + ShapeToString(t.sizes()) + ", got " +
          (src.defined() ? ShapeToString(src.sizes()) : "undefined"));
      continue;
    }
    copies.emplace_back(t, src);
  }
  for (const auto& [name, t] : dict) {
    if (!known.count(name)) report.unexpected_keys.push_back(name);
  }
  TCH_CHECK(!strict || report.ok(), type_name_,
            ": load_state_dict(strict=true) failed:\n", report.ToString());
  autograd::NoGradGuard no_grad;
  for (auto& [dst, src] : copies) {
    Tensor d = dst;  // handle copy; writes go to the shared impl
    d.copy_(src);
  }
  return report;
}

void Module::apply(const std::function<void(Module&)>& fn) {
  for (auto& [name, child] : children_) child->apply(fn);
  fn(*this);
}

void Module::ToString(std::string* out, int indent) const {
  *out += type_name_ + "(" + extra_repr();
  if (children_.empty()) {
    *out += ")";
    return;
  }
  *out += "\n";
  for (const auto& [name, child] : children_) {
    *out += std::string(indent + 2, ' ') + "(" + name + "): ";
    child->ToString(out, indent + 2);
    *out += "\n";
  }
  *out += std::string(indent, ' ') + ")";
}

std::string Module::ToString() const {
  std::string out;
  ToString(&out, 0);
  return out;
}

void SaveSafetensors(const Module& module, const std::string& path,
                     const std::map<std::string, std::string>& metadata) {
  tch::SaveSafetensors(path, module.state_dict(), metadata);
}

LoadReport LoadSafetensors(Module& module, const std::string& path,
                           bool strict) {
  StateDict dict = tch::LoadSafetensors(path);
  try {
    return module.load_state_dict(dict, strict);
  } catch (const ValueError& e) {
    throw ValueError("loading " + path + ": " + e.what());
  }
}

}  // namespace tch::nn
