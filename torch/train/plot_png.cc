// File: torch/train/plot_png.cc
#include "torch/train/plot_png.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

#include "torch/core/error.h"
#include "torch/core/file_util.h"
#include "torch/train/plot_font.h"

namespace tch::train {

const Rgb kPlotPalette[10] = {
    {31, 119, 180},  {255, 127, 14}, {44, 160, 44},   {214, 39, 40},
    {148, 103, 189}, {140, 86, 75},  {227, 119, 194}, {127, 127, 127},
    {188, 189, 34},  {23, 190, 207},
};

namespace {

constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kBlack{0, 0, 0};
constexpr Rgb kGrid{225, 225, 225};
constexpr Rgb kLegendBorder{160, 160, 160};
constexpr int kMinSize = 64;
constexpr int kMaxSize = 8192;

struct Rect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // inclusive
  bool Contains(int x, int y) const {
    return x >= x0 && x <= x1 && y >= y0 && y <= y1;
  }
};

// Drawing on an RgbImage, with every primitive clipped to `clip`.
class Canvas {
 public:
  Canvas(RgbImage& image, int scale)
      : image_(image),
        scale_(scale),
        clip_{0, 0, image.width - 1, image.height - 1} {}

  void SetClip(const Rect& clip) { clip_ = clip; }
  void ResetClip() { clip_ = {0, 0, image_.width - 1, image_.height - 1}; }

  void Pixel(int x, int y, Rgb c) {
    if (!clip_.Contains(x, y)) return;
    uint8_t* p =
        &image_.pixels[(static_cast<size_t>(y) * image_.width + x) * 3];
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
  }

  Rgb Get(int x, int y) const { return image_.at(x, y); }

  void Fill(const Rect& r, Rgb c) {
    int y0 = std::max(r.y0, clip_.y0), y1 = std::min(r.y1, clip_.y1);
    int x0 = std::max(r.x0, clip_.x0), x1 = std::min(r.x1, clip_.x1);
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) Pixel(x, y, c);
    }
  }

  void Frame(const Rect& r, Rgb c) {
    Fill({r.x0, r.y0, r.x1, r.y0}, c);
    Fill({r.x0, r.y1, r.x1, r.y1}, c);
    Fill({r.x0, r.y0, r.x0, r.y1}, c);
    Fill({r.x1, r.y0, r.x1, r.y1}, c);
  }

  // A line `width` pixels thick (a square brush along Bresenham's path).
  void Line(int x0, int y0, int x1, int y1, Rgb c, int width) {
    int dx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    int dy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    int lo = -(width - 1) / 2, hi = width / 2;
    while (true) {
      Fill({x0 + lo, y0 + lo, x0 + hi, y0 + hi}, c);
      if (x0 == x1 && y0 == y1) break;
      int e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }

  int CharAdvance() const { return (kGlyphWidth + 1) * scale_; }
  int TextHeight() const { return kGlyphHeight * scale_; }
  int TextWidth(std::string_view text) const {
    return text.empty()
               ? 0
               : static_cast<int>(text.size()) * CharAdvance() - scale_;
  }

  // Text with its top-left corner at (x, y).
  void Text(int x, int y, std::string_view text, Rgb c) {
    for (char ch : text) {
      Glyph(ch, [&](int gx, int gy) {
        Fill({x + gx * scale_, y + gy * scale_, x + gx * scale_ + scale_ - 1,
              y + gy * scale_ + scale_ - 1},
             c);
      });
      x += CharAdvance();
    }
  }

  // Text rotated 90 degrees counter-clockwise (reads bottom to top); (x, y)
  // is the top-left corner of its bounding box.
  void TextUp(int x, int y, std::string_view text, Rgb c) {
    int bottom = y + TextWidth(text) - 1;
    for (char ch : text) {
      Glyph(ch, [&](int gx, int gy) {
        int px = x + gy * scale_, py = bottom - gx * scale_ - scale_ + 1;
        Fill({px, py, px + scale_ - 1, py + scale_ - 1}, c);
      });
      bottom -= CharAdvance();
    }
  }

 private:
  template <typename F>
  static void Glyph(char ch, F&& ink) {
    const uint8_t* rows = PlotGlyph(ch);
    for (int gy = 0; gy < kGlyphHeight; ++gy) {
      for (int gx = 0; gx < kGlyphWidth; ++gx) {
        if (rows[gy] & (0x10 >> gx)) ink(gx, gy);
      }
    }
  }

  RgbImage& image_;
  int scale_;
  Rect clip_;
};

struct Axis {
  double lo = 0, hi = 1, step = 0.2;
};

// 1, 2 or 5 times a power of ten, close to `raw`.
double NiceStep(double raw) {
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double f = raw / magnitude;
  double nice = f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10;
  return nice * magnitude;
}

// About five ticks covering [lo, hi], with the axis ends on ticks.
Axis MakeAxis(double lo, double hi) {
  if (!(lo <= hi)) {  // no finite data
    lo = 0;
    hi = 1;
  }
  if (lo == hi) {
    double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  Axis axis;
  axis.step = NiceStep((hi - lo) / 5);
  axis.lo = std::floor(lo / axis.step) * axis.step;
  axis.hi = std::ceil(hi / axis.step) * axis.step;
  if (axis.hi <= axis.lo) axis.hi = axis.lo + axis.step;
  if (!std::isfinite(axis.hi - axis.lo) || !(axis.step > 0) ||
      (axis.hi - axis.lo) / axis.step > 100) {
    return Axis{};  // values near the double limits: a garbage-free [0, 1]
  }
  return axis;
}

std::string TickLabel(double value, double step) {
  if (std::abs(value) < step * 1e-9) value = 0;  // no "-0" or "1e-17"
  char buf[32];
  double magnitude = std::max(std::abs(value), step);
  if (magnitude >= 1e6 || step < 1e-4) {
    std::snprintf(buf, sizeof(buf), "%.3g", value);
  } else {
    int decimals =
        std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
    std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
  }
  return buf;
}

std::vector<double> Ticks(const Axis& axis) {
  std::vector<double> ticks;
  int n = static_cast<int>(std::llround((axis.hi - axis.lo) / axis.step));
  for (int i = 0; i <= n; ++i) ticks.push_back(axis.lo + i * axis.step);
  return ticks;
}

bool Finite(double x, double y) { return std::isfinite(x) && std::isfinite(y); }

void ValidatePanels(const std::vector<PlotPanel>& panels,
                    const PlotOptions& options) {
  TCH_CHECK(!panels.empty(), "WritePlotPng: expected at least one panel");
  TCH_CHECK(options.width >= kMinSize && options.width <= kMaxSize,
            "WritePlotPng: width must be in [", kMinSize, ", ", kMaxSize,
            "] pixels, got ", options.width);
  TCH_CHECK(options.panel_height >= kMinSize &&
                static_cast<int64_t>(options.panel_height) * panels.size() <=
                    kMaxSize,
            "WritePlotPng: panel_height * panels must be in [", kMinSize, ", ",
            kMaxSize, "] pixels, got ", options.panel_height, " * ",
            panels.size());
  TCH_CHECK(options.font_scale >= 1 && options.font_scale <= 8,
            "WritePlotPng: font_scale must be in [1, 8], got ",
            options.font_scale);
  for (const PlotPanel& panel : panels) {
    for (const PlotSeries& series : panel.series) {
      TCH_CHECK(series.x.size() == series.y.size(), "WritePlotPng: series '",
                series.label, "' of panel '", panel.title, "' has ",
                series.x.size(), " x values but ", series.y.size(),
                " y values");
    }
  }
}

void DrawPanel(Canvas& canvas, const PlotPanel& panel, const Rect& area,
               int scale) {
  const int text_h = canvas.TextHeight();
  const int gap = 4 * scale;

  // Data ranges over finite points.
  double x_lo = HUGE_VAL, x_hi = -HUGE_VAL, y_lo = HUGE_VAL, y_hi = -HUGE_VAL;
  for (const PlotSeries& s : panel.series) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!Finite(s.x[i], s.y[i])) continue;
      x_lo = std::min(x_lo, s.x[i]);
      x_hi = std::max(x_hi, s.x[i]);
      y_lo = std::min(y_lo, s.y[i]);
      y_hi = std::max(y_hi, s.y[i]);
    }
  }
  bool has_data = x_lo <= x_hi;
  Axis xa = MakeAxis(x_lo, x_hi), ya = MakeAxis(y_lo, y_hi);
  std::vector<double> x_ticks = Ticks(xa), y_ticks = Ticks(ya);
  int y_label_w = 0;
  for (double t : y_ticks) {
    y_label_w = std::max(y_label_w, canvas.TextWidth(TickLabel(t, ya.step)));
  }

  // Layout: title on top; y label, tick labels left; tick labels, x label
  // below.
  int left = area.x0 + gap + (panel.y_label.empty() ? 0 : text_h + gap) +
             y_label_w + gap + 2 * scale;
  int top = area.y0 + gap + (panel.title.empty() ? 0 : text_h + gap);
  int bottom = area.y1 - gap - text_h - gap - 2 * scale -
               (panel.x_label.empty() ? 0 : text_h + gap);
  int right = area.x1 - 4 * gap;
  if (right - left < 16 || bottom - top < 16) return;  // too small to draw
  Rect plot{left, top, right, bottom};

  // Data to pixels, clamped near the plot so that a bad value can never
  // make a line millions of pixels long.
  auto to_pixel = [](double t, int from, int to) {
    double v = from + t * (to - from);
    v = std::clamp(std::isnan(v) ? from : v, std::min(from, to) - 8.0,
                   std::max(from, to) + 8.0);
    return static_cast<int>(std::lround(v));
  };
  auto px = [&](double x) {
    return to_pixel((x - xa.lo) / (xa.hi - xa.lo), left, right);
  };
  auto py = [&](double y) {
    return to_pixel((y - ya.lo) / (ya.hi - ya.lo), bottom, top);
  };

  // Grid, ticks and tick labels.
  for (double t : x_ticks) {
    int x = px(t);
    canvas.Fill({x, top, x, bottom}, kGrid);
    canvas.Fill({x, bottom, x, bottom + 2 * scale}, kBlack);
    std::string label = TickLabel(t, xa.step);
    canvas.Text(x - canvas.TextWidth(label) / 2, bottom + 2 * scale + gap,
                label, kBlack);
  }
  for (double t : y_ticks) {
    int y = py(t);
    canvas.Fill({left, y, right, y}, kGrid);
    canvas.Fill({left - 2 * scale, y, left, y}, kBlack);
    std::string label = TickLabel(t, ya.step);
    canvas.Text(left - 2 * scale - gap - canvas.TextWidth(label),
                y - text_h / 2, label, kBlack);
  }
  canvas.Frame(plot, kBlack);

  // Titles.
  if (!panel.title.empty()) {
    canvas.Text((left + right - canvas.TextWidth(panel.title)) / 2,
                area.y0 + gap, panel.title, kBlack);
  }
  if (!panel.x_label.empty()) {
    canvas.Text((left + right - canvas.TextWidth(panel.x_label)) / 2,
                bottom + 2 * scale + gap + text_h + gap, panel.x_label, kBlack);
  }
  if (!panel.y_label.empty()) {
    canvas.TextUp(area.x0 + gap,
                  (top + bottom - canvas.TextWidth(panel.y_label)) / 2,
                  panel.y_label, kBlack);
  }
  if (!has_data) {
    const char* note = "no data";
    canvas.Text((left + right - canvas.TextWidth(note)) / 2,
                (top + bottom - text_h) / 2, note, kBlack);
  }

  // Curves, clipped to the inside of the frame.
  canvas.SetClip({left + 1, top + 1, right - 1, bottom - 1});
  const int line_width = std::max(2, scale);
  for (size_t si = 0; si < panel.series.size(); ++si) {
    const PlotSeries& s = panel.series[si];
    Rgb color = s.color.value_or(kPlotPalette[si % 10]);
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!Finite(s.x[i], s.y[i])) continue;
      bool prev = i > 0 && Finite(s.x[i - 1], s.y[i - 1]);
      bool next = i + 1 < s.x.size() && Finite(s.x[i + 1], s.y[i + 1]);
      if (prev) {
        canvas.Line(px(s.x[i - 1]), py(s.y[i - 1]), px(s.x[i]), py(s.y[i]),
                    color, line_width);
      } else if (!next) {  // an isolated point: a dot
        int x = px(s.x[i]), y = py(s.y[i]);
        canvas.Fill(
            {x - line_width, y - line_width, x + line_width, y + line_width},
            color);
      }
    }
  }
  canvas.ResetClip();

  // Legend in the corner of the plot that hides the fewest curve pixels
  // (top-right on ties).
  int entries = 0, label_w = 0;
  for (const PlotSeries& s : panel.series) {
    if (s.label.empty()) continue;
    ++entries;
    label_w = std::max(label_w, canvas.TextWidth(s.label));
  }
  if (entries == 0) return;
  const int swatch = 8 * scale, row_h = text_h + gap;
  const int box_w = gap + swatch + gap + label_w + gap;
  const int box_h = gap + entries * row_h;
  Rect box;
  int best = -1;
  for (int corner = 0; corner < 4; ++corner) {
    int x0 = corner % 2 == 0 ? right - gap - box_w : left + gap;
    int y0 = corner < 2 ? top + gap : bottom - gap - box_h;
    Rect candidate{x0, y0, x0 + box_w, y0 + box_h};
    int hidden = 0;
    for (int y = candidate.y0; y <= candidate.y1; ++y) {
      for (int x = candidate.x0; x <= candidate.x1; ++x) {
        if (!plot.Contains(x, y)) continue;
        Rgb c = canvas.Get(x, y);
        hidden += !(c == kWhite) && !(c == kGrid) && !(c == kBlack);
      }
    }
    if (best < 0 || hidden < best) {
      best = hidden;
      box = candidate;
    }
  }
  canvas.Fill(box, kWhite);
  canvas.Frame(box, kLegendBorder);
  int row_y = box.y0 + gap;
  for (size_t si = 0; si < panel.series.size(); ++si) {
    const PlotSeries& s = panel.series[si];
    if (s.label.empty()) continue;
    Rgb color = s.color.value_or(kPlotPalette[si % 10]);
    int mid = row_y + text_h / 2;
    canvas.Fill({box.x0 + gap, mid - line_width / 2, box.x0 + gap + swatch,
                 mid - line_width / 2 + line_width - 1},
                color);
    canvas.Text(box.x0 + gap + swatch + gap, row_y, s.label, kBlack);
    row_y += row_h;
  }
}

void PutU32(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
               static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 4);
}

void PutChunk(std::string& out, const char type[4], std::string_view data) {
  PutU32(out, static_cast<uint32_t>(data.size()));
  size_t start = out.size();
  out.append(type, 4);
  out.append(data);
  // The CRC covers the chunk type and data, not the length.
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(out.data() + start),
                    static_cast<uInt>(out.size() - start));
  PutU32(out, static_cast<uint32_t>(crc));
}

}  // namespace

RgbImage RenderPlot(const std::vector<PlotPanel>& panels,
                    const PlotOptions& options) {
  ValidatePanels(panels, options);
  RgbImage image;
  image.width = options.width;
  image.height = options.panel_height * static_cast<int>(panels.size());
  image.pixels.assign(static_cast<size_t>(image.width) * image.height * 3, 255);
  Canvas canvas(image, options.font_scale);
  for (size_t i = 0; i < panels.size(); ++i) {
    int y0 = static_cast<int>(i) * options.panel_height;
    DrawPanel(canvas, panels[i],
              {0, y0, image.width - 1, y0 + options.panel_height - 1},
              options.font_scale);
  }
  return image;
}

std::string EncodePng(const RgbImage& image) {
  TCH_CHECK(image.width > 0 && image.height > 0 &&
                image.pixels.size() ==
                    static_cast<size_t>(image.width) * image.height * 3,
            "EncodePng: expected width * height * 3 = ", image.width, " * ",
            image.height, " * 3 bytes, got ", image.pixels.size());
  // Each row: filter type 0 (none), then the RGB bytes.
  const size_t row_bytes = static_cast<size_t>(image.width) * 3;
  std::string raw;
  raw.reserve((row_bytes + 1) * image.height);
  for (int y = 0; y < image.height; ++y) {
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char*>(&image.pixels[y * row_bytes]),
               row_bytes);
  }
  uLongf compressed_size = compressBound(raw.size());
  std::string compressed(compressed_size, '\0');
  int rc =
      compress2(reinterpret_cast<Bytef*>(compressed.data()), &compressed_size,
                reinterpret_cast<const Bytef*>(raw.data()), raw.size(),
                Z_BEST_COMPRESSION);
  TCH_CHECK_T(IoError, rc == Z_OK, "EncodePng: zlib compress2 failed (", rc,
              ")");
  compressed.resize(compressed_size);

  std::string ihdr;
  PutU32(ihdr, static_cast<uint32_t>(image.width));
  PutU32(ihdr, static_cast<uint32_t>(image.height));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, no interlace

  std::string png("\x89PNG\r\n\x1a\n", 8);
  PutChunk(png, "IHDR", ihdr);
  PutChunk(png, "IDAT", compressed);
  PutChunk(png, "IEND", "");
  return png;
}

void WritePlotPng(const std::string& path, const std::vector<PlotPanel>& panels,
                  const PlotOptions& options) {
  WriteFileAtomically(path, EncodePng(RenderPlot(panels, options)));
}

std::vector<PlotPanel> TrainingCurvePanels(
    const std::vector<MetricRecord>& records) {
  std::vector<PlotPanel> panels;
  for (const char* metric : {"loss", "accuracy"}) {
    std::map<std::string, PlotSeries> by_split;
    for (const MetricRecord& record : records) {
      auto it = record.values.find(metric);
      if (it == record.values.end()) continue;
      PlotSeries& s = by_split[record.split];
      s.x.push_back(static_cast<double>(record.step));
      s.y.push_back(it->second);
    }
    if (by_split.empty()) continue;
    PlotPanel panel;
    panel.title = metric;
    panel.x_label = "step";
    // train, eval, then other splits by name; colors fixed per split so
    // both panels agree.
    std::vector<std::string> order;
    for (const char* first : {"train", "eval"}) {
      if (by_split.count(first)) order.push_back(first);
    }
    for (const auto& [split, s] : by_split) {
      if (split != "train" && split != "eval") order.push_back(split);
    }
    for (const std::string& split : order) {
      PlotSeries s = std::move(by_split[split]);
      s.label = split;
      size_t color = split == "train"  ? 0
                     : split == "eval" ? 1
                                       : 2 + panel.series.size() % 8;
      s.color = kPlotPalette[color];
      panel.series.push_back(std::move(s));
    }
    panels.push_back(std::move(panel));
  }
  return panels;
}

}  // namespace tch::train
