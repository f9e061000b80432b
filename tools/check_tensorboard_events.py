#!/usr/bin/env python3
"""Checks events files written by tch's TensorBoardWriter with TensorBoard.

Not part of the test suite (TensorBoard is not a build dependency). Use it
after changing torch/train/tensorboard_writer.cc:

    python3 -m venv /tmp/tbvenv && /tmp/tbvenv/bin/pip install tensorboard
    /tmp/tbvenv/bin/python tools/check_tensorboard_events.py RUN_DIR/tensorboard

For every events file under the given paths it
  1. reads the TFRecord stream with TensorBoard's own reader
     (RawEventFileLoader: length and data CRC-32C checks),
  2. recomputes both masked CRCs with TensorBoard's independent crc32c,
  3. parses each record as tensorboard.compat.proto Event and checks that
     protobuf re-serializes it to exactly the bytes tch wrote (so tch's hand
     encoding is canonical), and that the first event is file_version
     "brain.Event:2",
then loads each directory with EventAccumulator (which applies TensorBoard's
orphaned-data purge on SessionLog START) and prints every scalar series.

With --expect TAG=STEP:VALUE,STEP:VALUE,... the script also checks that the
accumulated series of TAG is exactly that list (values compared as float32).
Exits 1 on the first failed check.
"""

import argparse
import glob
import os
import struct
import sys

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.backend.event_processing import event_file_loader
from tensorboard.compat.proto import event_pb2
from tensorboard.compat.tensorflow_stub import pywrap_tensorflow


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def events_files(path):
    if os.path.isdir(path):
        return sorted(glob.glob(os.path.join(path, "*tfevents*")))
    return [path]


def check_file(path):
    """Framing, CRCs and canonical encoding of one events file."""
    with open(path, "rb") as f:
        data = f.read()
    pos, raw = 0, []
    while pos < len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        (length_crc,) = struct.unpack_from("<I", data, pos + 8)
        payload = data[pos + 12 : pos + 12 + length]
        (data_crc,) = struct.unpack_from("<I", data, pos + 12 + length)
        if length_crc != pywrap_tensorflow.masked_crc32c(data[pos : pos + 8]):
            fail(f"{path}: length CRC at byte {pos}")
        if data_crc != pywrap_tensorflow.masked_crc32c(payload):
            fail(f"{path}: data CRC at byte {pos}")
        raw.append(payload)
        pos += 12 + length + 4
    loaded = list(event_file_loader.RawEventFileLoader(path).Load())
    if loaded != raw:
        fail(f"{path}: TensorBoard's reader disagrees with the framing")
    for i, payload in enumerate(raw):
        event = event_pb2.Event.FromString(payload)
        again = event.SerializeToString(deterministic=True)
        if again != payload:
            fail(f"{path}: record {i} is not canonical protobuf: "
                 f"{payload.hex()} vs {again.hex()}")
        if i == 0 and event.file_version != "brain.Event:2":
            fail(f"{path}: first event has file_version "
                 f"{event.file_version!r}")
    print(f"ok {path}: {len(raw)} records, CRCs and encoding match")


def parse_expect(spec):
    tag, _, points = spec.partition("=")
    expected = []
    for point in points.split(","):
        step, _, value = point.partition(":")
        expected.append((int(step), struct.unpack("<f", struct.pack(
            "<f", float(value)))[0]))
    return tag, expected


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+",
                        help="events files or directories holding them")
    parser.add_argument("--expect", action="append", default=[],
                        help="TAG=STEP:VALUE,... expected accumulated series")
    args = parser.parse_args()

    accumulated = {}
    for path in args.paths:
        files = events_files(path)
        if not files:
            fail(f"{path}: no events files")
        for file in files:
            check_file(file)
        acc = event_accumulator.EventAccumulator(
            path, size_guidance={event_accumulator.SCALARS: 0})
        acc.Reload()
        for tag in sorted(acc.Tags()["scalars"]):
            series = [(e.step, e.value) for e in acc.Scalars(tag)]
            accumulated[tag] = series
            print(f"  {tag}: " +
                  " ".join(f"{step}:{value:.7g}" for step, value in series))

    for spec in args.expect:
        tag, expected = parse_expect(spec)
        if accumulated.get(tag) != expected:
            fail(f"{tag}: expected {expected}, got {accumulated.get(tag)}")
        print(f"ok {tag} matches --expect")


if __name__ == "__main__":
    main()
