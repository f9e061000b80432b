// File: torch/train/plot_png_test.cc
#include "torch/train/plot_png.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "torch/core/error.h"
#include "torch/core/file_util.h"
#include "torch/train/plot_font.h"

namespace tch::train {
namespace {

using ::testing::HasSubstr;

// CRC-32 (ISO-HDLC, as PNG uses) bit by bit from the definition; the
// encoder uses zlib's table version.
uint32_t SlowCrc32(std::string_view data) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char byte : data) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
    }
  }
  return ~crc;
}

uint32_t BigEndian32(std::string_view bytes, size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + at);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | p[3];
}

struct Chunk {
  std::string type;
  std::string data;
};

// Parses a PNG as this encoder writes it (8-bit RGB, filter 0 rows),
// checking the signature, every chunk CRC and the chunk order.
RgbImage DecodePng(const std::string& png,
                   std::vector<Chunk>* chunks_out = nullptr) {
  RgbImage image;
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::vector<Chunk> chunks;
  for (size_t pos = 8; pos < png.size();) {
    EXPECT_LE(pos + 12, png.size());
    if (pos + 12 > png.size()) return image;
    uint32_t length = BigEndian32(png, pos);
    EXPECT_LE(pos + 12 + length, png.size());
    if (pos + 12 + length > png.size()) return image;
    Chunk chunk{png.substr(pos + 4, 4), png.substr(pos + 8, length)};
    EXPECT_EQ(BigEndian32(png, pos + 8 + length),
              SlowCrc32(png.substr(pos + 4, 4 + length)))
        << "CRC of chunk " << chunk.type;
    chunks.push_back(chunk);
    pos += 12 + length;
  }
  EXPECT_GE(chunks.size(), 3u);
  if (chunks.size() < 3) return image;
  EXPECT_EQ(chunks.front().type, "IHDR");
  EXPECT_EQ(chunks.back().type, "IEND");
  EXPECT_EQ(chunks.back().data, "");
  const std::string& ihdr = chunks.front().data;
  EXPECT_EQ(ihdr.size(), 13u);
  image.width = static_cast<int>(BigEndian32(ihdr, 0));
  image.height = static_cast<int>(BigEndian32(ihdr, 4));
  EXPECT_EQ(ihdr.substr(8), std::string("\x08\x02\x00\x00\x00", 5));
  std::string idat;
  for (const Chunk& c : chunks) {
    if (c.type == "IDAT") idat += c.data;
  }
  size_t row = static_cast<size_t>(image.width) * 3;
  std::string raw((row + 1) * image.height, '\0');
  uLongf raw_size = raw.size();
  EXPECT_EQ(
      uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size,
                 reinterpret_cast<const Bytef*>(idat.data()), idat.size()),
      Z_OK);
  EXPECT_EQ(raw_size, raw.size());
  for (int y = 0; y < image.height; ++y) {
    EXPECT_EQ(raw[y * (row + 1)], '\0') << "filter type of row " << y;
    const char* p = raw.data() + y * (row + 1) + 1;
    image.pixels.insert(image.pixels.end(), p, p + row);
  }
  if (chunks_out) *chunks_out = chunks;
  return image;
}

TEST(PngTest, EncodesRgbPixelsWithValidChunks) {
  RgbImage image;
  image.width = 3;
  image.height = 2;
  image.pixels = {255, 0, 0, 0, 255, 0, 0, 0, 255,  //
                  1,   2, 3, 4, 5,   6, 7, 8, 9};
  std::vector<Chunk> chunks;
  RgbImage back = DecodePng(EncodePng(image), &chunks);
  EXPECT_EQ(back.width, 3);
  EXPECT_EQ(back.height, 2);
  EXPECT_EQ(back.pixels, image.pixels);
  // The IEND chunk is always the same 12 bytes; its CRC is a well-known
  // constant.
  std::string png = EncodePng(image);
  EXPECT_EQ(png.substr(png.size() - 12),
            std::string("\0\0\0\0IEND\xAE\x42\x60\x82", 12));
  EXPECT_EQ(SlowCrc32("123456789"), 0xCBF43926u);  // the test's own CRC

  image.pixels.pop_back();
  EXPECT_THROW(EncodePng(image), ValueError);
}

int CountColor(const RgbImage& image, Rgb color, int y0, int y1) {
  int n = 0;
  for (int y = y0; y < y1; ++y) {
    for (int x = 0; x < image.width; ++x) n += image.at(x, y) == color;
  }
  return n;
}

PlotSeries Series(std::string label, std::vector<double> x,
                  std::vector<double> y) {
  return {std::move(label), std::move(x), std::move(y), std::nullopt};
}

TEST(PlotTest, RendersCurvesAxesAndLegend) {
  std::vector<double> x, falling, flat, rising;
  for (int i = 0; i <= 100; ++i) {
    x.push_back(i);
    falling.push_back(2.0 - i / 50.0);
    flat.push_back(1.0);
    rising.push_back(0.5 + i / 250.0);
  }
  PlotPanel loss;
  loss.title = "loss";
  loss.x_label = "step";
  loss.y_label = "value";
  loss.series = {Series("train", x, falling), Series("eval", x, flat)};
  PlotPanel acc;
  acc.title = "accuracy";
  acc.series = {Series("eval", x, rising)};
  PlotOptions options;
  options.width = 640;
  options.panel_height = 300;
  RgbImage image = DecodePng(EncodePng(RenderPlot({loss, acc}, options)));
  ASSERT_EQ(image.width, 640);
  ASSERT_EQ(image.height, 600);

  const Rgb blue = kPlotPalette[0], orange = kPlotPalette[1];
  EXPECT_EQ(image.at(0, 0), (Rgb{255, 255, 255}));
  EXPECT_GT(CountColor(image, blue, 0, 300), 500);
  EXPECT_GT(CountColor(image, orange, 0, 300), 500);
  // The second panel's only series is its first: blue, none orange.
  EXPECT_GT(CountColor(image, blue, 300, 600), 300);
  EXPECT_EQ(CountColor(image, orange, 300, 600), 0);
  // Titles and labels are black text at the top of each panel.
  EXPECT_GT(CountColor(image, {0, 0, 0}, 0, 30), 50);
  EXPECT_GT(CountColor(image, {0, 0, 0}, 300, 330), 50);

  // The flat eval curve is a horizontal band 2 pixels high holding most of
  // its pixels (the rest is the legend swatch).
  std::map<int, int> orange_rows;
  for (int y = 0; y < 300; ++y) {
    for (int x = 0; x < image.width; ++x) {
      if (image.at(x, y) == orange) ++orange_rows[y];
    }
  }
  int long_rows = 0;
  for (auto [y, n] : orange_rows) long_rows += n > 200;
  EXPECT_EQ(long_rows, 2);

  auto mean_x = [&](Rgb c, int y0, int y1) {
    double sum = 0;
    int n = 0;
    for (int y = y0; y < y1; ++y) {
      for (int x = 0; x < image.width; ++x) {
        if (image.at(x, y) == c) {
          sum += x;
          ++n;
        }
      }
    }
    return n ? sum / n : NAN;
  };

  // The falling train curve is higher (smaller y) on the left than on the
  // right; the rising accuracy curve the opposite.
  auto mean_y = [&](Rgb c, int x0, int x1, int y0, int y1) {
    double sum = 0;
    int n = 0;
    for (int y = y0; y < y1; ++y) {
      for (int x = x0; x < x1; ++x) {
        if (image.at(x, y) == c) {
          sum += y;
          ++n;
        }
      }
    }
    return n ? sum / n : NAN;
  };
  // Legends avoid the curves: top-right in the loss panel (the falling curve
  // starts top-left), top-left in the accuracy panel (rising to the
  // top-right).
  const Rgb border{160, 160, 160};
  EXPECT_GT(mean_x(border, 0, 300), 400);
  EXPECT_LT(mean_y(border, 0, 640, 0, 300), 100);
  EXPECT_LT(mean_x(border, 300, 600), 240);
  EXPECT_LT(mean_y(border, 0, 640, 300, 600), 400);

  EXPECT_LT(mean_y(blue, 0, 250, 0, 300) + 50, mean_y(blue, 400, 500, 0, 300));
  EXPECT_GT(mean_y(blue, 0, 250, 300, 600),
            mean_y(blue, 400, 500, 300, 600) + 20);
}

TEST(PlotTest, NanBreaksLinesAndEmptyPanelsSayNoData) {
  PlotPanel dots;
  // Every finite point has NaN neighbours: drawn as separate dots.
  dots.series = {Series("", {0, 1, 2, 3, 4}, {1, NAN, 2, INFINITY, 3})};
  PlotPanel empty;
  empty.title = "empty";
  empty.series = {Series("", {0, 1}, {NAN, NAN})};
  PlotOptions options;
  options.width = 400;
  options.panel_height = 200;
  RgbImage image = RenderPlot({dots, empty}, options);
  const Rgb blue = kPlotPalette[0];
  int dot_pixels = CountColor(image, blue, 0, 200);
  EXPECT_GT(dot_pixels, 0);
  EXPECT_LE(dot_pixels, 3 * 5 * 5);  // three 5x5 dots, no lines between
  EXPECT_EQ(CountColor(image, blue, 200, 400), 0);
  EXPECT_GT(CountColor(image, {0, 0, 0}, 200, 400), 100);  // frame + text
}

TEST(PlotTest, TextUsesTheBuiltInFont) {
  // One panel with only a title: the title's pixels are the glyphs scaled.
  PlotPanel panel;
  panel.title = "I";
  PlotOptions options;
  options.width = 200;
  options.panel_height = 100;
  options.font_scale = 1;
  RgbImage image = RenderPlot({panel}, options);
  // 'I' has 3 + 1 + 1 + 1 + 1 + 1 + 3 = 11 ink pixels at scale 1.
  int ink = 0;
  for (int row = 0; row < kGlyphHeight; ++row) {
    ink += __builtin_popcount(PlotGlyph('I')[row]);
  }
  EXPECT_EQ(ink, 11);
  EXPECT_EQ(CountColor(image, {0, 0, 0}, 0, 4 + kGlyphHeight), ink);
  EXPECT_EQ(PlotGlyph('\x01'), PlotGlyph('?'));
}

TEST(PlotTest, ValidationErrors) {
  PlotPanel panel;
  panel.series = {Series("bad", {1, 2, 3}, {1, 2})};
  try {
    RenderPlot({panel});
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("'bad'"));
    EXPECT_THAT(e.what(), HasSubstr("3 x values but 2 y values"));
  }
  EXPECT_THROW(RenderPlot({}), ValueError);
  PlotOptions tiny;
  tiny.width = 10;
  EXPECT_THROW(RenderPlot({PlotPanel{}}, tiny), ValueError);
  PlotOptions tall;
  tall.panel_height = 5000;
  EXPECT_THROW(RenderPlot({PlotPanel{}, PlotPanel{}}, tall), ValueError);
}

TEST(PlotTest, WritesFileAtomically) {
  std::string path = ::testing::TempDir() + "/curves.png";
  PlotPanel panel;
  panel.title = "loss";
  panel.series = {Series("train", {1, 2, 3}, {3, 2, 1})};
  WritePlotPng(path, {panel});
  RgbImage image = DecodePng(ReadFile(path));
  EXPECT_EQ(image.width, PlotOptions{}.width);
  EXPECT_EQ(image.height, PlotOptions{}.panel_height);
  EXPECT_THROW(
      WritePlotPng(::testing::TempDir() + "/no/such/dir/x.png", {panel}),
      IoError);
}

TEST(PlotTest, TrainingCurvePanelsFromMetrics) {
  std::vector<MetricRecord> records = {
      {1, 0, "train", {{"loss", 2.0}, {"lr", 0.1}}},
      {2, 0, "train", {{"loss", 1.5}}},
      {2, 0, "eval", {{"loss", 1.7}, {"accuracy", 0.4}}},
      {3, 0, "test", {{"accuracy", 0.5}}},
  };
  std::vector<PlotPanel> panels = TrainingCurvePanels(records);
  ASSERT_EQ(panels.size(), 2u);
  EXPECT_EQ(panels[0].title, "loss");
  ASSERT_EQ(panels[0].series.size(), 2u);
  EXPECT_EQ(panels[0].series[0].label, "train");
  EXPECT_EQ(panels[0].series[0].x, (std::vector<double>{1, 2}));
  EXPECT_EQ(panels[0].series[0].y, (std::vector<double>{2.0, 1.5}));
  EXPECT_EQ(panels[0].series[0].color, kPlotPalette[0]);
  EXPECT_EQ(panels[0].series[1].label, "eval");
  EXPECT_EQ(panels[0].series[1].color, kPlotPalette[1]);
  EXPECT_EQ(panels[1].title, "accuracy");
  ASSERT_EQ(panels[1].series.size(), 2u);
  EXPECT_EQ(panels[1].series[0].label, "eval");  // no train accuracy
  EXPECT_EQ(panels[1].series[0].color, kPlotPalette[1]);
  EXPECT_EQ(panels[1].series[1].label, "test");
  EXPECT_EQ(panels[1].series[1].y, (std::vector<double>{0.5}));
  EXPECT_TRUE(TrainingCurvePanels({}).empty());
}

}  // namespace
}  // namespace tch::train
