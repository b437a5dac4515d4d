#!/usr/bin/env python3
"""Independent pixel decoder for the DICOM tests (pydicom + pylibjpeg + pyjpegls, no DCMTK, no OpenJPEG via qkdgate).

Usage: independent_decode.py OUTPUT_DIR FILE...
For each DICOM file writes OUTPUT_DIR/NAME.values, the stored values in qkdgate's PixelBuffer order (frame,
sample, row, column), each value = (stored word >> (HighBit - BitsStored + 1)) & (2^BitsStored - 1), as
little-endian uint32, and prints one JSON line:
  {"file": NAME, "sha256": HEX, "count": N}  or  {"file": NAME, "error": TEXT}

Requirements: python3 -m pip install pydicom pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg pylibjpeg-rle pyjpegls
"""
import hashlib
import json
import sys

import numpy as np
import pydicom


def stored_values(ds):
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    rows, cols = int(ds.Rows), int(ds.Columns)
    samples = int(getattr(ds, "SamplesPerPixel", 1))
    bits_alloc = int(ds.BitsAllocated)
    bits_stored = int(getattr(ds, "BitsStored", bits_alloc))
    high_bit = int(getattr(ds, "HighBit", bits_stored - 1))
    # Raw decoded samples, no colour conversion, so YBR_RCT/ICT come out as the codec returns them (RGB).
    arr = ds.pixel_array
    arr = np.asarray(arr)
    arr = arr.astype(arr.dtype.newbyteorder("="), copy=False)  # big-endian files come back as '>i2'
    arr = arr.reshape(frames, rows, cols, samples)
    arr = np.transpose(arr, (0, 3, 1, 2))
    if bits_alloc == 1:
        words = arr.astype(np.uint32)
    else:
        unsigned = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[arr.dtype.itemsize]
        words = np.ascontiguousarray(arr).view(unsigned).astype(np.uint64)
    low = high_bit - bits_stored + 1
    mask = (1 << bits_stored) - 1
    values = ((words >> low) & mask).astype("<u4")
    return values


def main(output_dir, paths):
    for path in paths:
        name = path.rsplit("/", 1)[-1]
        try:
            ds = pydicom.dcmread(path)
            if "PixelData" not in ds:
                print(json.dumps({"file": name, "error": "no pixel data"}))
                continue
            values = stored_values(ds)
            values.tofile(f"{output_dir}/{name}.values")
            print(json.dumps({"file": name, "sha256": hashlib.sha256(values.tobytes()).hexdigest(), "count": int(values.size)}))
        except Exception as exc:  # report, never crash: the Swift test decides what is acceptable
            print(json.dumps({"file": name, "error": f"{type(exc).__name__}: {exc}"}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
