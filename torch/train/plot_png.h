// File: torch/train/plot_png.h
//
// Training curves as a PNG, with no plotting library: a small rasterizer
// (axes, "nice" 1-2-5 ticks, tick labels, titles and legends in a built-in
// 5x7 bitmap font, 2-pixel lines in distinct colors, a legend in the
// corner that hides the least of the curves) and a PNG encoder
// (8-bit RGB, zlib deflate, CRC-checked IHDR/IDAT/IEND chunks). The file is
// written atomically (torch/core/file_util.h).
//
// A figure has one or more panels stacked vertically (typically "loss" with
// train and eval curves, and "accuracy"). Points whose x or y is NaN or
// infinite are skipped and break the line; a series with one point is drawn
// as a dot. Text uses printable ASCII; other bytes are drawn as '?'.
//
// Example:
//   PlotPanel loss;
//   loss.title = "loss";
//   loss.x_label = "step";
//   loss.series.push_back({"train", steps, train_loss, std::nullopt});
//   loss.series.push_back({"eval", eval_steps, eval_loss, std::nullopt});
//   PlotPanel acc;
//   acc.title = "accuracy";
//   acc.series.push_back({"eval", eval_steps, eval_acc, std::nullopt});
//   WritePlotPng(run_dir + "/curves.png", {loss, acc});
//
//   // Or straight from a metrics log (see TrainingCurvePanels):
//   WritePlotPng(run_dir + "/curves.png",
//                TrainingCurvePanels(ReadMetricsJsonl(run_dir +
//                                                     "/metrics.jsonl")));
//
// Errors: ValueError for an empty panel list, a series whose x and y differ
// in length, or a size outside [64, 8192] pixels; IoError naming `path` when
// the file cannot be written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "torch/train/metrics_writer.h"

namespace tch::train {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
};

// The series palette (matplotlib's "tab10" order): series i of a panel gets
// kPlotPalette[i % 10] unless it sets `color`.
extern const Rgb kPlotPalette[10];

struct PlotSeries {
  std::string label;  // legend entry ("" = not in the legend)
  std::vector<double> x;
  std::vector<double> y;
  std::optional<Rgb> color;
};

struct PlotPanel {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<PlotSeries> series;
};

struct PlotOptions {
  int width = 960;         // pixels
  int panel_height = 420;  // pixels per panel
  int font_scale = 2;      // glyphs are 5x7 * font_scale pixels
};

// An 8-bit RGB raster, row-major, 3 bytes per pixel.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;

  Rgb at(int x, int y) const {
    const uint8_t* p = &pixels[(static_cast<size_t>(y) * width + x) * 3];
    return {p[0], p[1], p[2]};
  }
};

// Draws the panels (see file comment). Errors: ValueError as above.
RgbImage RenderPlot(const std::vector<PlotPanel>& panels,
                    const PlotOptions& options = {});

// The PNG file bytes of `image`.
std::string EncodePng(const RgbImage& image);

// RenderPlot + EncodePng + WriteFileAtomically.
void WritePlotPng(const std::string& path, const std::vector<PlotPanel>& panels,
                  const PlotOptions& options = {});

// The usual panels for a metrics log, x = step: "loss" (train and eval
// "loss" series) and, when any record has it, "accuracy" (train and eval
// "accuracy"); splits other than train/eval get their own series too.
// Panels without points are left out; returns {} when nothing was logged.
std::vector<PlotPanel> TrainingCurvePanels(
    const std::vector<MetricRecord>& records);

}  // namespace tch::train
