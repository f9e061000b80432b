// File: torch/train/plot_font.h
//
// The built-in 5x7 bitmap font of the PNG plots (printable ASCII). Internal
// to //torch/train:plot.
//
// Example:
//   const uint8_t* rows = tch::train::PlotGlyph('A');
//   bool ink = rows[row] & (0x10 >> column);  // row 0..6, column 0..4
#pragma once

#include <cstdint>

namespace tch::train {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 7;

// The 7 rows of `c`, top first; bit 4 (0x10) is the leftmost column.
// Characters outside ' '..'~' get the glyph of '?'.
const uint8_t* PlotGlyph(char c);

}  // namespace tch::train
