#!/usr/bin/env python3
"""Train the dcgan-vpd decoy generator (DCGAN, Radford et al. layout) with numpy only, and export it.

Why numpy: PyPI's torch wheels need the CUDA libraries (gigabytes) even on a CPU-only machine, and CI must be
able to rerun this script. The layers, initialisation, loss and optimiser are those of the paper (see
README.md); forward and backward passes are written out by hand below.

Usage:  python3 tools/dcgan/train.py [--seed 4] [--epochs 5] [--out Sources/DCGAN/Resources]
Needs:  numpy (pip install numpy).

Outputs: generator.qdcg (weights, format in docs/ciphers/dcgan-vpd.md), golden.bin (a fixed latent and the
reference output for the Swift golden test), decoys.png (8x8 grid of generated decoys), and a training log.
"""
import argparse
import math
import os
import struct
import sys
import time
import zlib

import numpy as np

NZ = 100
RECALIBRATION_BATCHES = 16
KERNEL = 4


# ---------------------------------------------------------------------------------------------------------
# Training data: procedurally generated skin-lesion-like 64x64 RGB images (the project may ship these; the
# paper's ISIC-style set is not available). Skin-tone background with shading and noise, one irregular
# pigmented lesion with a darker core and a soft border, a few hairs on some images.
# ---------------------------------------------------------------------------------------------------------
def make_lesion_images(count, rng):
    size = 64
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    images = np.empty((count, 3, size, size), dtype=np.float32)
    for n in range(count):
        skin = np.array([rng.uniform(0.72, 0.95), rng.uniform(0.52, 0.75), rng.uniform(0.42, 0.62)], np.float32)
        gx, gy = rng.uniform(-0.003, 0.003, 2)
        shade = 1.0 + gx * (xx - 32) + gy * (yy - 32)
        img = skin[:, None, None] * shade[None] + rng.normal(0, 0.02, (3, size, size)).astype(np.float32)
        cx, cy = rng.uniform(20, 44, 2)
        radius = rng.uniform(7, 20)
        aspect = rng.uniform(0.6, 1.0)
        angle = rng.uniform(0, math.pi)
        dx, dy = xx - cx, yy - cy
        u = (dx * math.cos(angle) + dy * math.sin(angle))
        v = (-dx * math.sin(angle) + dy * math.cos(angle)) / aspect
        theta = np.arctan2(v, u)
        wobble = np.ones_like(theta)
        for harmonic in range(2, 7):
            wobble += rng.uniform(0, 0.12) * np.sin(harmonic * theta + rng.uniform(0, 2 * math.pi))
        rho = np.sqrt(u * u + v * v) / (radius * wobble)
        mask = 1.0 / (1.0 + np.exp((rho - 1.0) * rng.uniform(8, 20)))
        lesion = np.array([rng.uniform(0.25, 0.55), rng.uniform(0.12, 0.32), rng.uniform(0.06, 0.22)], np.float32)
        core = np.clip(1.0 - rho, 0, 1) * rng.uniform(0.0, 0.5)
        pigment = lesion[:, None, None] * (1.0 - core[None])
        img = img * (1 - mask[None]) + pigment * mask[None]
        for _ in range(rng.integers(0, 4)):
            x0, y0 = rng.uniform(0, size, 2)
            a = rng.uniform(0, math.pi)
            dist = np.abs((xx - x0) * math.sin(a) - (yy - y0) * math.cos(a))
            hair = np.exp(-(dist ** 2) / 0.5) * rng.uniform(0.4, 0.8)
            img = img * (1 - hair[None]) + 0.1 * hair[None]
        images[n] = np.clip(img, 0, 1) * 2 - 1   # tanh range
    return images


# ---------------------------------------------------------------------------------------------------------
# Layers. Layout NCHW, float32. Convolutions have no bias (as in DCGAN).
# ---------------------------------------------------------------------------------------------------------
def im2col(x, stride, pad, out_h, out_w):
    """(N, C, H, W) -> (N*out_h*out_w, C*16): the 4x4 input patch behind every output position."""
    n, c, _, _ = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((n, c, KERNEL, KERNEL, out_h, out_w), dtype=x.dtype)
    for ky in range(KERNEL):
        for kx in range(KERNEL):
            cols[:, :, ky, kx] = xp[:, :, ky:ky + stride * out_h:stride, kx:kx + stride * out_w:stride]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(n * out_h * out_w, c * KERNEL * KERNEL)


def col2im(cols, shape, stride, pad, in_h, in_w):
    """Adjoint of im2col: (N*in_h*in_w, C*16) patches scattered (summed) into an (N, C, H, W) image."""
    n, c, h, w = shape
    cols = cols.reshape(n, in_h, in_w, c, KERNEL, KERNEL).transpose(0, 3, 4, 5, 1, 2)
    xp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=cols.dtype)
    for ky in range(KERNEL):
        for kx in range(KERNEL):
            xp[:, :, ky:ky + stride * in_h:stride, kx:kx + stride * in_w:stride] += cols[:, :, ky, kx]
    return xp[:, :, pad:pad + h, pad:pad + w]


class Conv:
    """nn.Conv2d(cin, cout, 4, stride, pad, bias=False); weight (cout, cin, 4, 4)."""

    def __init__(self, cin, cout, stride, pad, rng):
        self.w = rng.normal(0, 0.02, (cout, cin, KERNEL, KERNEL)).astype(np.float32)
        self.stride, self.pad = stride, pad

    def forward(self, x):
        n, _, h, w = x.shape
        oh = (h + 2 * self.pad - KERNEL) // self.stride + 1
        ow = (w + 2 * self.pad - KERNEL) // self.stride + 1
        self.x_shape, self.cols = x.shape, im2col(x, self.stride, self.pad, oh, ow)
        out = self.cols @ self.w.reshape(self.w.shape[0], -1).T
        self.oh, self.ow = oh, ow
        return out.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        cout = self.w.shape[0]
        d = dout.transpose(0, 2, 3, 1).reshape(-1, cout)
        self.dw = (d.T @ self.cols).reshape(self.w.shape)
        dcols = d @ self.w.reshape(cout, -1)
        return col2im(dcols, self.x_shape, self.stride, self.pad, self.oh, self.ow)

    def params(self):
        return [("w", self)]


class ConvT:
    """nn.ConvTranspose2d(cin, cout, 4, stride, pad, bias=False); weight (cin, cout, 4, 4) as in PyTorch."""

    def __init__(self, cin, cout, stride, pad, rng):
        self.w = rng.normal(0, 0.02, (cin, cout, KERNEL, KERNEL)).astype(np.float32)
        self.stride, self.pad = stride, pad

    def forward(self, x):
        n, cin, h, w = x.shape
        cout = self.w.shape[1]
        oh = (h - 1) * self.stride - 2 * self.pad + KERNEL
        ow = (w - 1) * self.stride - 2 * self.pad + KERNEL
        self.x = x.transpose(0, 2, 3, 1).reshape(-1, cin)
        self.in_h, self.in_w, self.out_shape = h, w, (n, cout, oh, ow)
        cols = self.x @ self.w.reshape(cin, -1)
        return col2im(cols, self.out_shape, self.stride, self.pad, h, w)

    def backward(self, dout):
        n, cout, oh, ow = self.out_shape
        cin = self.w.shape[0]
        dcols = im2col(dout, self.stride, self.pad, self.in_h, self.in_w)
        self.dw = (self.x.T @ dcols).reshape(self.w.shape)
        dx = dcols @ self.w.reshape(cin, -1).T
        return dx.reshape(n, self.in_h, self.in_w, cin).transpose(0, 3, 1, 2)

    def params(self):
        return [("w", self)]


class BatchNorm:
    """nn.BatchNorm2d: batch statistics in training, running statistics (momentum 0.1, eps 1e-5) in eval."""

    def __init__(self, c, rng):
        self.gamma = rng.normal(1.0, 0.02, c).astype(np.float32)
        self.beta = np.zeros(c, np.float32)
        self.running_mean = np.zeros(c, np.float32)
        self.running_var = np.ones(c, np.float32)
        self.training = True

    def forward(self, x):
        if self.training:
            mean = x.mean(axis=(0, 2, 3))
            var = x.var(axis=(0, 2, 3))
            count = x.shape[0] * x.shape[2] * x.shape[3]
            self.running_mean = 0.9 * self.running_mean + 0.1 * mean
            self.running_var = 0.9 * self.running_var + 0.1 * var * count / max(count - 1, 1)
        else:
            mean, var = self.running_mean, self.running_var
        self.inv = 1.0 / np.sqrt(var + 1e-5)
        self.xhat = (x - mean[None, :, None, None]) * self.inv[None, :, None, None]
        return self.gamma[None, :, None, None] * self.xhat + self.beta[None, :, None, None]

    def backward(self, dout):
        m = dout.shape[0] * dout.shape[2] * dout.shape[3]
        self.dgamma = (dout * self.xhat).sum(axis=(0, 2, 3))
        self.dbeta = dout.sum(axis=(0, 2, 3))
        dxhat = dout * self.gamma[None, :, None, None]
        return (self.inv[None, :, None, None] / m) * (
            m * dxhat - dxhat.sum(axis=(0, 2, 3))[None, :, None, None]
            - self.xhat * (dxhat * self.xhat).sum(axis=(0, 2, 3))[None, :, None, None])

    def params(self):
        return [("gamma", self), ("beta", self)]


class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, d):
        return d * self.mask

    def params(self):
        return []


class LeakyReLU:
    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, 0.2 * x)

    def backward(self, d):
        return np.where(self.x > 0, d, 0.2 * d)

    def params(self):
        return []


class Tanh:
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, d):
        return d * (1 - self.y * self.y)

    def params(self):
        return []


class Sequential:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, d):
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return d

    def set_training(self, training):
        for layer in self.layers:
            if isinstance(layer, BatchNorm):
                layer.training = training


def generator(ngf, rng):
    return Sequential([
        ConvT(NZ, ngf * 8, 1, 0, rng), BatchNorm(ngf * 8, rng), ReLU(),        # 4x4
        ConvT(ngf * 8, ngf * 4, 2, 1, rng), BatchNorm(ngf * 4, rng), ReLU(),   # 8x8
        ConvT(ngf * 4, ngf * 2, 2, 1, rng), BatchNorm(ngf * 2, rng), ReLU(),   # 16x16
        ConvT(ngf * 2, ngf, 2, 1, rng), BatchNorm(ngf, rng), ReLU(),           # 32x32
        ConvT(ngf, 3, 2, 1, rng), Tanh(),                                      # 64x64
    ])


def discriminator(ndf, rng):
    return Sequential([
        Conv(3, ndf, 2, 1, rng), LeakyReLU(),                                    # 32x32
        Conv(ndf, ndf * 2, 2, 1, rng), BatchNorm(ndf * 2, rng), LeakyReLU(),     # 16x16
        Conv(ndf * 2, ndf * 4, 2, 1, rng), BatchNorm(ndf * 4, rng), LeakyReLU(), # 8x8
        Conv(ndf * 4, ndf * 8, 2, 1, rng), BatchNorm(ndf * 8, rng), LeakyReLU(), # 4x4
        Conv(ndf * 8, 1, 1, 0, rng),                                             # 1x1 logit
    ])


class Adam:
    """torch.optim.Adam(lr=2e-4, betas=(0.5, 0.999), eps=1e-8)."""

    def __init__(self, model, lr=2e-4, beta1=0.5, beta2=0.999, eps=1e-8):
        self.entries = [(layer, name) for layer in model.layers for name, _ in layer.params()]
        self.m = [np.zeros_like(getattr(l, n)) for l, n in self.entries]
        self.v = [np.zeros_like(getattr(l, n)) for l, n in self.entries]
        self.lr, self.b1, self.b2, self.eps, self.t = lr, beta1, beta2, eps, 0

    def step(self):
        self.t += 1
        for i, (layer, name) in enumerate(self.entries):
            g = getattr(layer, "d" + name)
            self.m[i] = self.b1 * self.m[i] + (1 - self.b1) * g
            self.v[i] = self.b2 * self.v[i] + (1 - self.b2) * g * g
            mhat = self.m[i] / (1 - self.b1 ** self.t)
            vhat = self.v[i] / (1 - self.b2 ** self.t)
            setattr(layer, name, (getattr(layer, name) - self.lr * mhat / (np.sqrt(vhat) + self.eps)).astype(np.float32))


def bce_with_logits(logits, target):
    """Mean binary cross-entropy of sigmoid(logits) against a constant target; returns (loss, dlogits)."""
    z = logits.reshape(-1).astype(np.float64)
    loss = np.mean(np.maximum(z, 0) - z * target + np.log1p(np.exp(-np.abs(z))))
    grad = (1 / (1 + np.exp(-z)) - target) / z.size
    return float(loss), grad.reshape(logits.shape).astype(np.float32)


# ---------------------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------------------
def eval_forward_float64(gen, z):
    """Reference eval-mode forward pass in float64 from the float16-rounded weights: what Swift must match."""
    x = z.astype(np.float64).reshape(z.shape[0], NZ, 1, 1)
    for layer in gen.layers:
        if isinstance(layer, ConvT):
            w16 = layer.w.astype(np.float16).astype(np.float64)
            n, cin, h, w = x.shape
            oh = (h - 1) * layer.stride - 2 * layer.pad + KERNEL
            cols = x.transpose(0, 2, 3, 1).reshape(-1, cin) @ w16.reshape(cin, -1)
            x = col2im(cols, (n, w16.shape[1], oh, oh), layer.stride, layer.pad, h, w)
        elif isinstance(layer, BatchNorm):
            g, b, m, v = (a.astype(np.float32).astype(np.float64) for a in
                          (layer.gamma, layer.beta, layer.running_mean, layer.running_var))
            x = (x - m[None, :, None, None]) / np.sqrt(v[None, :, None, None] + 1e-5) * g[None, :, None, None] \
                + b[None, :, None, None]
        elif isinstance(layer, ReLU):
            x = np.maximum(x, 0)
        elif isinstance(layer, Tanh):
            x = np.tanh(x)
    return x


def write_weights(path, gen, ngf):
    convs = [l for l in gen.layers if isinstance(l, ConvT)]
    bns = [l for l in gen.layers if isinstance(l, BatchNorm)]
    with open(path, "wb") as f:
        f.write(b"QKDDCGN1")
        f.write(struct.pack("<IIII", 1, NZ, ngf, len(convs)))
        for i, conv in enumerate(convs):
            cin, cout = conv.w.shape[0], conv.w.shape[1]
            has_bn = 1 if i < len(bns) else 0
            f.write(struct.pack("<IIIIII", cin, cout, KERNEL, conv.stride, conv.pad, has_bn))
            f.write(conv.w.astype("<f2").tobytes())
            if has_bn:
                bn = bns[i]
                for a in (bn.gamma, bn.beta, bn.running_mean, bn.running_var):
                    f.write(a.astype("<f4").tobytes())


def write_png(path, rgb):
    """Minimal truecolour PNG writer (8-bit RGB, no filtering) so the script needs numpy only."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def to_grid(images, per_row=8, gap=2):
    n = images.shape[0]
    rows = (n + per_row - 1) // per_row
    grid = np.full((rows * (64 + gap) + gap, per_row * (64 + gap) + gap, 3), 255, np.uint8)
    for i in range(n):
        r, c = divmod(i, per_row)
        tile = np.clip(np.rint((images[i].transpose(1, 2, 0) + 1) * 127.5), 0, 255).astype(np.uint8)
        grid[gap + r * (64 + gap):gap + r * (64 + gap) + 64, gap + c * (64 + gap):gap + c * (64 + gap) + 64] = tile
    return grid


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--images", type=int, default=512)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--ngf", type=int, default=16)
    ap.add_argument("--ndf", type=int, default=16)
    ap.add_argument("--out", default="Sources/DCGAN/Resources")
    ap.add_argument("--extras", default="tools/dcgan")
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    started = time.time()
    data = make_lesion_images(args.images, rng)
    write_png(os.path.join(args.extras, "training-samples.png"), to_grid(data[:32]))
    gen, disc = generator(args.ngf, rng), discriminator(args.ndf, rng)
    opt_g, opt_d = Adam(gen), Adam(disc)
    fixed_z = rng.normal(0, 1, (64, NZ, 1, 1)).astype(np.float32)
    log = open(os.path.join(args.extras, "training-log.txt"), "w")
    steps = args.images // args.batch
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(args.images)
        sums = np.zeros(4)
        for step in range(steps):
            real = data[order[step * args.batch:(step + 1) * args.batch]]
            z = rng.normal(0, 1, (args.batch, NZ, 1, 1)).astype(np.float32)
            # Discriminator: maximise log D(x) + log(1 - D(G(z))).
            fake = gen.forward(z)
            loss_real, d_real = bce_with_logits(disc.forward(real), 1.0)
            disc.backward(d_real)
            grads_real = [getattr(l, "d" + n).copy() for l, n in opt_d.entries]
            loss_fake, d_fake = bce_with_logits(disc.forward(fake), 0.0)
            disc.backward(d_fake)
            for (l, n), g in zip(opt_d.entries, grads_real):
                setattr(l, "d" + n, getattr(l, "d" + n) + g)
            opt_d.step()
            # Generator: maximise log D(G(z)) (non-saturating BCE with real labels), same fake batch.
            loss_g, d_g = bce_with_logits(disc.forward(fake), 1.0)
            gen.backward(disc.backward(d_g))
            opt_g.step()
            sums += (loss_real + loss_fake, loss_g, 1, 0)
        line = (f"epoch {epoch:3d}/{args.epochs}  loss_D {sums[0] / sums[2]:.4f}  loss_G {sums[1] / sums[2]:.4f}  "
                f"elapsed {time.time() - started:7.1f} s")
        print(line, flush=True)
        log.write(line + "\n")
        log.flush()

    # Re-estimate BatchNorm running statistics from the generator's own activations (population statistics,
    # RECALIBRATION_BATCHES batches), so eval-mode inference of one latent matches what training saw.
    for layer in gen.layers:
        if isinstance(layer, BatchNorm):
            layer.running_mean[:] = 0
            layer.running_var[:] = 0
    acts = {}
    gen.set_training(False)
    for _ in range(RECALIBRATION_BATCHES):
        x = rng.normal(0, 1, (args.batch, NZ, 1, 1)).astype(np.float32)
        for i, layer in enumerate(gen.layers):
            if isinstance(layer, BatchNorm):
                m, v = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
                a = acts.setdefault(i, [np.zeros_like(m), np.zeros_like(v)])
                a[0] += m / RECALIBRATION_BATCHES
                a[1] += (v + m * m) / RECALIBRATION_BATCHES
                layer.training = True
                x = layer.forward(x)
                layer.training = False
            else:
                x = layer.forward(x)
    for i, (m, sq) in acts.items():
        gen.layers[i].running_mean = m.astype(np.float32)
        gen.layers[i].running_var = (sq - m * m).astype(np.float32)

    os.makedirs(args.out, exist_ok=True)
    write_weights(os.path.join(args.out, "generator.qdcg"), gen, args.ngf)
    golden_z = np.random.default_rng(20250101).normal(0, 1, (1, NZ)).astype(np.float32)
    golden_out = eval_forward_float64(gen, golden_z)[0].astype(np.float32)   # (3, 64, 64)
    with open(os.path.join(args.out, "golden.bin"), "wb") as f:
        f.write(b"QKDDCGG1")
        f.write(struct.pack("<I", 1))
        f.write(golden_z.astype("<f4").tobytes())
        f.write(golden_out.astype("<f4").tobytes())
    samples = eval_forward_float64(gen, fixed_z.reshape(64, NZ))
    write_png(os.path.join(args.extras, "decoys.png"), to_grid(samples))
    line = f"done in {time.time() - started:.1f} s; weights {os.path.getsize(os.path.join(args.out, 'generator.qdcg'))} bytes"
    print(line)
    log.write(line + "\n")
    log.close()


if __name__ == "__main__":
    sys.exit(main())
