// The libtorch 1.13 counterpart of `tch train benchmarks/e2e/{mlp,cnn}.yaml`
// for benchmarks/compare_training.sh e2e (benchmarks/README.md, "tch train
// end to end"): the same model, data, batch size, optimizer and epoch,
// written as a libtorch user would, and logged the way tch's trainer logs,
// so the script times both from the same files:
//   * reads the gzipped Fashion-MNIST IDX files with zlib into uint8
//     tensors; each batch is gathered from a fresh random permutation and
//     normalized ((x / 255 - 0.2860) / 0.3530, tch's constants) as it is
//     assembled, like tch's loader;
//   * every step: forward, cross-entropy, loss.item() (tch checks it is
//     finite), backward, the batch's correct predictions, Adam step,
//     zero_grad;
//   * every --log-interval steps and at the end: a metrics.jsonl line
//     (mean loss and accuracy since the last record) and a timing.jsonl
//     line {"step", "epoch", "split", "wall_time"} (Unix seconds), as tch's
//     MetricsWriter; a progress line with samples/s on stdout;
//   * after the epoch: evaluation on the 10000 test images (batch 1000, no
//     grad) and a checkpoint (torch::save of the model and the optimizer).
// tch additionally writes metrics.csv, TensorBoard events and curves.png;
// libtorch has no counterpart, so nothing is written for them here.
//
// Usage: train_e2e_libtorch --model=mlp|cnn --run-dir=DIR [--threads=2]
//          [--data-dir=/usr/share/datasets/fashion-mnist] [--epochs=1]
//          [--batch-size=128] [--log-interval=50]
// Exit status 1 with a message on stderr for unreadable or malformed data.
#include <torch/torch.h>
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" void openblas_set_num_threads(int num_threads);

namespace {

constexpr double kMean = 0.2860, kStd = 0.3530;  // tch's Fashion-MNIST stats

// The whole decompressed file.
std::string ReadGzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error("cannot open " + path);
  std::string data;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) data.append(buf, n);
  const bool failed = n < 0;
  gzclose(f);
  if (failed) throw std::runtime_error("corrupt gzip data in " + path);
  return data;
}

uint32_t BigEndian32(const std::string& s, size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data() + at);
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) |
         (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

// An IDX file of unsigned bytes (type 0x08) as a uint8 tensor.
torch::Tensor ReadIdx(const std::string& path) {
  const std::string s = ReadGzip(path);
  if (s.size() < 4 || s[0] != 0 || s[1] != 0 || s[2] != 0x08) {
    throw std::runtime_error(path + ": not an IDX file of unsigned bytes");
  }
  const int rank = static_cast<unsigned char>(s[3]);
  std::vector<int64_t> shape;
  int64_t numel = 1;
  for (int i = 0; i < rank; ++i) {
    if (s.size() < 4 + 4 * size_t(i + 1)) {
      throw std::runtime_error(path + ": truncated header");
    }
    shape.push_back(BigEndian32(s, 4 + 4 * size_t(i)));
    numel *= shape.back();
  }
  const size_t offset = 4 + 4 * size_t(rank);
  if (s.size() != offset + size_t(numel)) {
    throw std::runtime_error(path + ": expected " + std::to_string(numel) +
                             " bytes of data, found " +
                             std::to_string(s.size() - offset));
  }
  torch::Tensor t = torch::empty(shape, torch::kUInt8);
  std::memcpy(t.data_ptr<uint8_t>(), s.data() + offset, size_t(numel));
  return t;
}

double UnixNow() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Arg(int argc, char** argv, const std::string& key,
                const std::string& fallback) {
  const std::string prefix = "--" + key + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) {
      return argv[i] + prefix.size();
    }
  }
  return fallback;
}

torch::nn::Sequential MakeModel(const std::string& name) {
  namespace nn = torch::nn;
  if (name == "mlp") {
    return nn::Sequential(nn::Flatten(), nn::Linear(784, 256), nn::ReLU(),
                          nn::Linear(256, 128), nn::ReLU(),
                          nn::Linear(128, 10));
  }
  if (name == "cnn") {
    return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 32, 3).padding(1)),
                          nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                          nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1)),
                          nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                          nn::Flatten(), nn::Linear(3136, 128), nn::ReLU(),
                          nn::Linear(128, 10));
  }
  throw std::runtime_error("unknown --model '" + name + "' (mlp or cnn)");
}

torch::Tensor Normalize(const torch::Tensor& bytes) {
  return bytes.to(torch::kFloat32).div_(255.0).sub_(kMean).div_(kStd);
}

void AppendLine(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app);
  out << line << "\n";
  if (!out) throw std::runtime_error("cannot write " + path);
}

int Run(int argc, char** argv) {
  const double start = UnixNow();
  const std::string model_name = Arg(argc, argv, "model", "");
  const std::string run_dir = Arg(argc, argv, "run-dir", "");
  const std::string data_dir =
      Arg(argc, argv, "data-dir", "/usr/share/datasets/fashion-mnist");
  const int threads = std::atoi(Arg(argc, argv, "threads", "2").c_str());
  const int epochs = std::atoi(Arg(argc, argv, "epochs", "1").c_str());
  const int64_t batch =
      std::atoll(Arg(argc, argv, "batch-size", "128").c_str());
  const int64_t log_interval =
      std::atoll(Arg(argc, argv, "log-interval", "50").c_str());
  if (run_dir.empty() || model_name.empty()) {
    std::fprintf(stderr,
                 "usage: %s --model=mlp|cnn --run-dir=DIR [--threads=2] "
                 "[--data-dir=DIR] [--epochs=1] [--batch-size=128] "
                 "[--log-interval=50]\n",
                 argv[0]);
    return 2;
  }
  torch::set_num_threads(threads);
  openblas_set_num_threads(threads);
  torch::manual_seed(0);
  std::filesystem::create_directories(run_dir);
  const std::string metrics = run_dir + "/metrics.jsonl",
                    timing = run_dir + "/timing.jsonl";
  std::remove(metrics.c_str());
  std::remove(timing.c_str());

  const torch::Tensor train_x =
      ReadIdx(data_dir + "/train-images-idx3-ubyte.gz").unsqueeze(1);
  const torch::Tensor train_y =
      ReadIdx(data_dir + "/train-labels-idx1-ubyte.gz").to(torch::kLong);
  const torch::Tensor test_x =
      ReadIdx(data_dir + "/t10k-images-idx3-ubyte.gz").unsqueeze(1);
  const torch::Tensor test_y =
      ReadIdx(data_dir + "/t10k-labels-idx1-ubyte.gz").to(torch::kLong);
  const int64_t n = train_x.size(0);
  if (train_y.size(0) != n) throw std::runtime_error("image/label count");

  torch::nn::Sequential model = MakeModel(model_name);
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));
  const int64_t steps_per_epoch = (n + batch - 1) / batch;
  std::printf(
      "training %s (libtorch %s) on fashion-mnist train: %lld "
      "examples; %lld steps, %d threads, run dir %s\n",
      model_name.c_str(), TORCH_VERSION, static_cast<long long>(n),
      static_cast<long long>(steps_per_epoch * epochs), threads,
      run_dir.c_str());
  int64_t step = 0;
  double loss_sum = 0, log_start = UnixNow();
  int64_t correct = 0, count = 0, log_samples = 0;
  auto record = [&](int epoch, const char* split, double loss, double acc) {
    char line[256];
    std::snprintf(line, sizeof(line),
                  "{\"step\":%lld,\"epoch\":%d,\"split\":\"%s\","
                  "\"accuracy\":%.17g,\"loss\":%.17g}",
                  static_cast<long long>(step), epoch, split, acc, loss);
    AppendLine(metrics, line);
    std::snprintf(line, sizeof(line),
                  "{\"step\":%lld,\"epoch\":%d,\"split\":\"%s\","
                  "\"wall_time\":%.7f}",
                  static_cast<long long>(step), epoch, split, UnixNow());
    AppendLine(timing, line);
  };
  for (int epoch = 0; epoch < epochs; ++epoch) {
    model->train();
    const torch::Tensor perm = torch::randperm(n, torch::kLong);
    for (int64_t b = 0; b < steps_per_epoch; ++b) {
      const torch::Tensor idx =
          perm.slice(0, b * batch, std::min(n, (b + 1) * batch));
      const torch::Tensor x = Normalize(train_x.index_select(0, idx));
      const torch::Tensor y = train_y.index_select(0, idx);
      torch::Tensor logits = model->forward(x);
      torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
      const double loss_value = loss.item<double>();
      if (!std::isfinite(loss_value)) {
        throw std::runtime_error("loss is not finite at step " +
                                 std::to_string(step + 1));
      }
      loss.backward();
      loss_sum += loss_value * double(x.size(0));
      correct += logits.argmax(1).eq(y).sum().item<int64_t>();
      count += x.size(0);
      log_samples += x.size(0);
      opt.step();
      opt.zero_grad();
      ++step;
      const bool last = b + 1 == steps_per_epoch;
      if (step % log_interval == 0 || last) {
        record(epoch, "train", loss_sum / double(count),
               double(correct) / double(count));
        const double now = UnixNow();
        std::printf("step %lld/%lld epoch %d/%d samples/s %.0f\n",
                    static_cast<long long>(step),
                    static_cast<long long>(steps_per_epoch * epochs), epoch + 1,
                    epochs, double(log_samples) / (now - log_start));
        std::fflush(stdout);
        log_start = now;
        log_samples = 0;
        loss_sum = 0;
        correct = count = 0;
      }
    }
    // Evaluation on the test set.
    model->eval();
    torch::NoGradGuard no_grad;
    double eval_loss = 0;
    int64_t eval_correct = 0;
    const int64_t m = test_x.size(0);
    for (int64_t b = 0; b < m; b += 1000) {
      const torch::Tensor x =
          Normalize(test_x.slice(0, b, std::min(m, b + 1000)));
      const torch::Tensor y = test_y.slice(0, b, std::min(m, b + 1000));
      torch::Tensor logits = model->forward(x);
      eval_loss +=
          torch::nn::functional::cross_entropy(logits, y).item<double>() *
          double(x.size(0));
      eval_correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    }
    record(epoch, "eval", eval_loss / double(m),
           double(eval_correct) / double(m));
    std::printf("eval step %lld (test): accuracy %.4f loss %.4f\n",
                static_cast<long long>(step), double(eval_correct) / double(m),
                eval_loss / double(m));
    // Checkpoint.
    const std::string ckpt =
        run_dir + "/checkpoints/step-" + std::to_string(step);
    std::filesystem::create_directories(ckpt);
    torch::save(model, ckpt + "/model.pt");
    torch::save(opt, ckpt + "/optimizer.pt");
    std::printf("checkpoint %s\n", ckpt.c_str());
  }
  std::printf("done: %lld steps; %.0f samples/s over the whole run\n",
              static_cast<long long>(step),
              double(n) * epochs / (UnixNow() - start));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_e2e_libtorch: %s\n", e.what());
    return 1;
  }
}
