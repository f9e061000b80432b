// File: torch/train/progress.cc
#include "torch/train/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

#include "torch/core/error.h"

namespace tch::train {
namespace {

constexpr int kBarWidth = 20;

std::string Format(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, value);
  return buf;
}

std::string FormatRate(double per_second) {
  return per_second >= 100 ? Format("%.0f", per_second)
                           : Format("%.3g", per_second);
}

// The file descriptor behind the standard streams, or -1.
int StreamFd(const std::ostream& out) {
  if (&out == &std::cout) return STDOUT_FILENO;
  if (&out == &std::cerr || &out == &std::clog) return STDERR_FILENO;
  return -1;
}

struct Rates {
  std::optional<double> samples_per_second;
  std::optional<double> eta_seconds;
};

// Averages since the first update: the speed of this process, not of the
// run before a resume.
Rates ComputeRates(const ProgressUpdate& u, double elapsed, int64_t start_step,
                   int64_t start_samples) {
  Rates rates;
  if (elapsed <= 0) return rates;
  if (u.samples > start_samples) {
    rates.samples_per_second =
        static_cast<double>(u.samples - start_samples) / elapsed;
  }
  if (u.total_steps > 0 && u.step > start_step) {
    rates.eta_seconds = static_cast<double>(u.total_steps - u.step) * elapsed /
                        static_cast<double>(u.step - start_step);
  }
  return rates;
}

// Event text is printed as one line: embedded line breaks become spaces.
std::string OneLine(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return line;
}

}  // namespace

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  long long total = std::llround(seconds);
  long long h = total / 3600, m = (total / 60) % 60, s = total % 60;
  char buf[48];
  if (h > 0) {
    std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", h, m, s);
  } else {
    std::snprintf(buf, sizeof(buf), "%02lld:%02lld", m, s);
  }
  return buf;
}

ProgressReporter::ProgressReporter(std::ostream& out, ProgressOptions options)
    : out_(out), options_(std::move(options)) {
  TCH_CHECK(options_.log_interval_steps >= 0,
            "ProgressReporter: log_interval_steps must be >= 0, got ",
            options_.log_interval_steps);
  TCH_CHECK(options_.log_interval_seconds >= 0,
            "ProgressReporter: log_interval_seconds must be >= 0, got ",
            options_.log_interval_seconds);
  TCH_CHECK(options_.tty_refresh_seconds > 0,
            "ProgressReporter: tty_refresh_seconds must be > 0, got ",
            options_.tty_refresh_seconds);
  TCH_CHECK(options_.terminal_columns >= 0,
            "ProgressReporter: terminal_columns must be >= 0, got ",
            options_.terminal_columns);
  int fd = StreamFd(out_);
  switch (options_.mode) {
    case ProgressOptions::Mode::kTty:
      tty_ = true;
      break;
    case ProgressOptions::Mode::kPlain:
      tty_ = false;
      break;
    case ProgressOptions::Mode::kAuto:
      tty_ = fd >= 0 && ::isatty(fd);
      break;
  }
  columns_ = 80;
  if (options_.terminal_columns > 0) {
    columns_ = options_.terminal_columns;
  } else if (fd >= 0) {
    winsize size{};
    if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
      columns_ = size.ws_col;
    }
  }
}

ProgressReporter::~ProgressReporter() {
  try {
    Finish();
  } catch (...) {
    // A destructor must not throw; the stream reports its own failures.
  }
}

double ProgressReporter::Now() const {
  if (options_.clock) return options_.clock();
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

void ProgressReporter::Update(const ProgressUpdate& update) {
  double now = Now();
  bool first = !have_update_;
  if (first) {
    have_update_ = true;
    start_time_ = now;
    start_step_ = update.step;
    start_samples_ = update.samples;
  }
  finished_ = false;
  last_ = update;
  now_ = now;
  bool final = update.total_steps > 0 && update.step >= update.total_steps;
  bool due;
  if (tty_) {
    due = first || final || !last_print_time_ ||
          now - *last_print_time_ >= options_.tty_refresh_seconds;
  } else {
    bool step_due = options_.log_interval_steps > 0 &&
                    update.step % options_.log_interval_steps == 0;
    bool time_due = options_.log_interval_seconds > 0 && last_print_time_ &&
                    now - *last_print_time_ >= options_.log_interval_seconds;
    due = first || final || step_due || time_due;
    if (last_print_step_ == update.step) due = false;  // never twice
  }
  if (due) Draw();
}

void ProgressReporter::Draw() {
  if (tty_) {
    // \033[K clears what a longer previous line left behind.
    out_ << '\r' << FormatBarLine() << "\033[K";
    bar_visible_ = true;
  } else {
    out_ << FormatPlainLine() << '\n';
  }
  out_.flush();
  last_print_time_ = now_;
  last_print_step_ = last_.step;
}

void ProgressReporter::Event(std::string_view line) {
  if (tty_ && bar_visible_) {
    out_ << "\r\033[K" << OneLine(line) << '\n';
    bar_visible_ = false;
    if (have_update_ && !finished_) {
      out_ << '\r' << FormatBarLine() << "\033[K";
      bar_visible_ = true;
    }
  } else {
    out_ << OneLine(line) << '\n';
  }
  out_.flush();
}

void ProgressReporter::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!have_update_) return;
  now_ = Now();
  if (tty_) {
    out_ << '\r' << FormatBarLine() << "\033[K\n";
    bar_visible_ = false;
    out_.flush();
    last_print_time_ = now_;
    last_print_step_ = last_.step;
  } else if (last_print_step_ != last_.step) {
    Draw();
  }
}

std::string ProgressReporter::FormatPlainLine() const {
  const ProgressUpdate& u = last_;
  std::string line = "step " + std::to_string(u.step);
  if (u.total_steps > 0) line += "/" + std::to_string(u.total_steps);
  line += " epoch " + std::to_string(u.epoch);
  if (u.total_epochs > 0) line += "/" + std::to_string(u.total_epochs);
  if (u.loss) line += " loss " + Format("%.4g", *u.loss);
  if (u.lr) line += " lr " + Format("%.3g", *u.lr);
  Rates rates =
      ComputeRates(u, now_ - start_time_, start_step_, start_samples_);
  if (rates.samples_per_second) {
    line += " samples/s " + FormatRate(*rates.samples_per_second);
  }
  if (rates.eta_seconds) line += " ETA " + FormatDuration(*rates.eta_seconds);
  return line;
}

std::string ProgressReporter::FormatBarLine() const {
  const ProgressUpdate& u = last_;
  std::string line;
  if (u.total_steps > 0) {
    double fraction = std::clamp(
        static_cast<double>(u.step) / static_cast<double>(u.total_steps), 0.0,
        1.0);
    int filled = static_cast<int>(fraction * kBarWidth);
    line = "[" + std::string(filled, '#') +
           std::string(kBarWidth - filled, '.') + "] " +
           std::to_string(u.step) + "/" + std::to_string(u.total_steps);
  } else {
    line = "step " + std::to_string(u.step);
  }
  line += " ep " + std::to_string(u.epoch);
  if (u.total_epochs > 0) line += "/" + std::to_string(u.total_epochs);
  if (u.loss) line += " loss " + Format("%.4g", *u.loss);
  if (u.lr) line += " lr " + Format("%.3g", *u.lr);
  Rates rates =
      ComputeRates(u, now_ - start_time_, start_step_, start_samples_);
  if (rates.samples_per_second) {
    line += " " + FormatRate(*rates.samples_per_second) + " samples/s";
  }
  if (rates.eta_seconds) line += " ETA " + FormatDuration(*rates.eta_seconds);
  // Never wrap: a wrapped line cannot be redrawn with '\r'.
  size_t limit = static_cast<size_t>(std::max(columns_ - 1, 10));
  if (line.size() > limit) line.resize(limit);
  return line;
}

}  // namespace tch::train
