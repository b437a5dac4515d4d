#!/usr/bin/env python3
"""Independent reference for the dcgan-vpd key streams (format version 1), for the Swift golden tests.

Re-implements, in Python's IEEE double arithmetic, the project's DeterministicMath cos/acos/exp (same method
and constants, read from Sources/Ciphers/Common/DeterministicMath.swift), the 1-DEC map with mu = 1, the
initial conditions from a 64-byte secret, the 100-step transient and q = floor(|y| * 2^52) mod 2^48.
Prints the first samples of every stream for the secret bytes 0, 1, ..., 63.

Usage: python3 tools/dcgan/onedec_reference.py
"""
import math
import os
import re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SOURCE = open(os.path.join(ROOT, "Sources/Ciphers/Common/DeterministicMath.swift")).read()


def constant(name):
    return float.fromhex(re.search(r"static let %s: Double = (\S+)" % name, SOURCE).group(1))


def kernel(name):
    """Horner coefficients of a kernel, highest first, with signs as written in the source."""
    body = SOURCE[SOURCE.index("static func %s(" % name):]
    body = body[body.index("var p: Double"):]
    body = body[:min(body.index("return"), body.index("let e =") if "let e =" in body else len(body))]
    first = re.search(r"var p: Double = (-?\S+)", body).group(1)
    rest = re.findall(r"p = p \* [zr] ([+-]) (\S+)", body)
    def value(text):
        return float.fromhex(text) if "0x" in text else float(text)
    return [value(first)] + [value(v) if s == "+" else -value(v) for s, v in rest]


PIO2_HIGH, PIO2_MID, PIO2_LOW = constant("pio2High"), constant("pio2Mid"), constant("pio2Low")
TWO_OVER_PI, PIO2, PIO2_TAIL = constant("twoOverPi"), constant("pio2"), constant("pio2Tail")
PI, PI_TAIL = constant("pi"), constant("piTail")
LN2_HIGH, LN2_LOW, INV_LN2 = constant("ln2High"), constant("ln2Low"), constant("inverseLn2")
SIN_K, COS_K, ASIN_K = kernel("sinKernel"), kernel("cosKernel"), kernel("asinKernel")
EXP_K = kernel("exp")


def horner(coefficients, z):
    p = coefficients[0]
    for c in coefficients[1:]:
        p = p * z + c
    return p


def sin_kernel(r):
    z = r * r
    return r + r * z * horner(SIN_K, z)


def cos_kernel(r):
    z = r * r
    return 1 + z * (-0.5 + z * horner(COS_K, z))


def cos(x):
    k = round(x * TWO_OVER_PI)
    r = ((x - k * PIO2_HIGH) - k * PIO2_MID) - k * PIO2_LOW
    quadrant = (int(math.fmod(k, 4)) + 4) & 3
    return [cos_kernel(r), -sin_kernel(r), -cos_kernel(r), sin_kernel(r)][quadrant]


def asin_kernel(y):
    z = y * y
    return y + y * z * horner(ASIN_K, z)


def acos(x):
    if x > 0.5:
        return 2 * asin_kernel(math.sqrt((1 - x) * 0.5))
    if x < -0.5:
        return (PI - 2 * asin_kernel(math.sqrt((1 + x) * 0.5))) + PI_TAIL
    return (PIO2 - asin_kernel(x)) + PIO2_TAIL


def exp(x):
    k = round(x * INV_LN2)
    r = (x - k * LN2_HIGH) - k * LN2_LOW
    p = EXP_K[0]
    for c in EXP_K[1:]:
        p = p * r + c
    return math.ldexp(1 + (r + r * r * p), int(k))


GAIN = exp(1.0 / 1.0)


def step(y):
    y = 1.0 if y > 1 else (-1.0 if y < -1 else y)
    angle = acos(y)
    c = cos(angle * GAIN * angle)
    return 1.0 - 2.0 * (c * c)


def samples(secret, stream, count):
    words = [int.from_bytes(bytes(secret[8 * i:8 * i + 8]), "big") for i in range(8)]
    total = 0
    for w in words:
        total ^= w
    word = words[stream - 1]
    others = total ^ word
    mixed = word ^ (((others << 17) | (others >> 47)) & 0xFFFFFFFFFFFFFFFF)
    y = (mixed % 10 ** 15) / 1e15
    for _ in range(100):
        y = step(y)
    out = []
    for _ in range(count):
        y = step(y)
        out.append(int(abs(y) * 4503599627370496.0) & 0xFFFFFFFFFFFF)
    return out


if __name__ == "__main__":
    secret = list(range(64))
    for stream in range(1, 9):
        print("K%d" % stream, samples(secret, stream, 4))
