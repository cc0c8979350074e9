"""HDR photos (10-bit HEIC with a PQ or HLG transfer, as recent phones take) to SDR sRGB.

Decoded to linear light, tone-mapped so that diffuse white (ITU-R BT.2408's 203 cd/m²) lands
on SDR white and brighter highlights roll off smoothly instead of clipping, converted from
BT.2020 to BT.709 primaries and encoded with the sRGB curve. Plain 8-bit scaling would show PQ
as a dark, washed-out picture (its code values are absolute luminance up to 10,000 cd/m²).
"""

import numpy as np

PQ, HLG = 16, 18  # ITU-T H.273 transfer_characteristics
BT2020 = 9  # colour_primaries
REFERENCE_WHITE_NITS = 203.0
HLG_PEAK_NITS = 1000.0
_BT2020_TO_BT709 = np.array(
    [
        [1.6605, -0.5876, -0.0728],
        [-0.1246, 1.1329, -0.0083],
        [-0.0182, -0.1006, 1.1187],
    ],
    dtype=np.float32,
)


def is_hdr(nclx: dict | None) -> bool:
    return bool(nclx) and nclx.get("transfer_characteristics") in (PQ, HLG)


def hdr_to_sdr(pixels: np.ndarray, nclx: dict) -> np.ndarray:
    """RGB 16-bit (or float 0..1) `pixels` with the `nclx` transfer → RGB uint8 sRGB."""
    signal = pixels.astype(np.float32)
    if pixels.dtype == np.uint16:
        signal /= 65535.0
    if nclx.get("transfer_characteristics") == PQ:
        nits = _pq_to_nits(signal)
    else:
        nits = _hlg_to_nits(signal)
    linear = _tone_map(nits / REFERENCE_WHITE_NITS)
    if nclx.get("color_primaries", BT2020) == BT2020:
        linear = np.clip(linear @ _BT2020_TO_BT709.T, 0.0, 1.0)
    return (_srgb_encode(linear) * 255.0 + 0.5).astype(np.uint8)


def _pq_to_nits(signal: np.ndarray) -> np.ndarray:
    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    power = np.power(np.clip(signal, 0.0, 1.0), 1 / m2)
    return 10000.0 * np.power(np.maximum(power - c1, 0.0) / (c2 - c3 * power), 1 / m1)


def _hlg_to_nits(signal: np.ndarray) -> np.ndarray:
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    signal = np.clip(signal, 0.0, 1.0)
    scene = np.where(signal <= 0.5, signal**2 / 3, (np.exp((signal - c) / a) + b) / 12)
    # The reference OOTF: system gamma 1.2 on the luminance, for a 1000 cd/m² display.
    luminance = scene @ np.array([0.2627, 0.6780, 0.0593], dtype=np.float32)
    gain = np.power(np.maximum(luminance, 1e-6), 0.2)[..., None]
    return HLG_PEAK_NITS * scene * gain


def _tone_map(relative: np.ndarray) -> np.ndarray:
    """Identity up to 0.8 of SDR white, then a curve that reaches 1.0 only at infinity."""
    knee = 0.8
    above = relative - knee
    rolled = knee + (1 - knee) * above / (above + (1 - knee))
    return np.where(relative <= knee, relative, rolled)


def _srgb_encode(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * np.power(linear, 1 / 2.4) - 0.055)
