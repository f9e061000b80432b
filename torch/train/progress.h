// File: torch/train/progress.h
//
// Console progress for a training loop, in two styles:
//
//   TTY (stdout is a terminal): one line redrawn in place with '\r', at most
//     every `tty_refresh_seconds` (default 0.1 s = 10 times a second):
//       [#########...........] 450/1000 ep 2/5 loss 0.4312 lr 0.001
//           1250 samples/s ETA 00:44          (one line on the terminal)
//     The line is cut to the terminal width so it never wraps.
//   Plain (a log file, a pipe, CI): one complete line per report, never '\r'
//     or escape codes, throttled to every `log_interval_steps` steps and/or
//     every `log_interval_seconds` seconds, plus the first and last step:
//       step 450/1000 epoch 2/5 loss 0.4312 lr 0.001 samples/s 1250 ETA 00:44
//
// Event() prints a line that must not be lost in the redraws ("eval step 500:
// loss 0.41 accuracy 0.87", "checkpoint saved: ..."): in TTY mode it clears
// the bar, prints the line, and redraws the bar below it.
//
// samples/s and ETA are averages since the reporter's first Update (so a
// resumed run measures its own speed); ETA is omitted until two updates
// with different steps have been seen.
//
// Not thread-safe: call from the training thread only.
//
// Example:
//   ProgressOptions options;
//   options.log_interval_steps = 50;
//   ProgressReporter progress(std::cout, options);
//   for (...) {
//     ProgressUpdate update;
//     update.step = step;
//     update.total_steps = total;
//     update.epoch = epoch;
//     update.total_epochs = epochs;
//     update.loss = loss;
//     update.lr = lr;
//     update.samples = samples_seen;
//     progress.Update(update);
//   }
//   progress.Event("checkpoint saved: " + dir);
//   progress.Finish();
//
// Errors: ValueError for negative intervals or a refresh interval <= 0.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace tch::train {

struct ProgressUpdate {
  int64_t step = 0;          // steps completed
  int64_t total_steps = 0;   // 0 = unknown (no bar, no ETA)
  int64_t epoch = 0;         // shown as given (the caller picks 0/1-based)
  int64_t total_epochs = 0;  // 0 = shown without "/N"
  std::optional<double> loss;
  std::optional<double> lr;
  int64_t samples = 0;  // cumulative samples processed (for samples/s)
};

struct ProgressOptions {
  enum class Mode {
    kAuto,   // TTY when the stream is std::cout/std::cerr and isatty()
    kTty,    // force the redrawn bar
    kPlain,  // force plain lines
  };
  Mode mode = Mode::kAuto;
  int64_t log_interval_steps = 0;    // plain mode; 0 = no step trigger
  double log_interval_seconds = 10;  // plain mode; 0 = no time trigger
  double tty_refresh_seconds = 0.1;  // TTY mode: minimum time between draws
  int terminal_columns = 0;          // TTY width; 0 = ask the terminal (80)
  // Monotonic seconds (tests inject a fake clock; unset = steady_clock).
  std::function<double()> clock;
};

class ProgressReporter {
 public:
  // Reports to `out`, which must outlive the reporter.
  // Errors: ValueError for invalid options.
  explicit ProgressReporter(std::ostream& out, ProgressOptions options = {});

  // Records the latest state and prints it if the throttle allows (always
  // when step == total_steps). Cheap when nothing is printed.
  void Update(const ProgressUpdate& update);

  // Prints `line` as its own line (see file comment); never throttled.
  void Event(std::string_view line);

  // Prints the latest state unthrottled; in TTY mode ends the bar's line.
  // Idempotent. Called by the destructor if not called before.
  void Finish();

  ~ProgressReporter();

  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // Whether this reporter draws the TTY bar.
  bool tty() const { return tty_; }

  // The plain-mode line for the latest update (exposed for tests).
  std::string FormatPlainLine() const;

 private:
  double Now() const;
  std::string FormatBarLine() const;
  void Draw();

  std::ostream& out_;
  ProgressOptions options_;
  bool tty_ = false;
  int columns_ = 80;
  bool finished_ = false;
  bool bar_visible_ = false;
  bool have_update_ = false;
  ProgressUpdate last_;
  double now_ = 0;
  std::optional<double> last_print_time_;
  std::optional<int64_t> last_print_step_;
  double start_time_ = 0;
  int64_t start_step_ = 0;
  int64_t start_samples_ = 0;
};

// "00:05", "01:05", "1:01:05" (MM:SS under an hour, else H:MM:SS; rounded
// to seconds); "?" for negative or non-finite input.
std::string FormatDuration(double seconds);

}  // namespace tch::train
