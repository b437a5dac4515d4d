/// Ciphers — pixel ciphers behind one protocol (`qkd-hybrid`, `dcgan-vpd`, `aes-ctr`).
/// Knows `PixelBuffer`; knows nothing of DICOM files, DCMTK or networking.
public import Pixels
