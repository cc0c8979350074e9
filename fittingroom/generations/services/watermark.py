from PIL import Image

LOGO_WIDTH_SHARE = 0.18  # of the result's width
MARGIN_SHARE = 0.03
OPACITY = 0.9


def watermark_apply(*, image: Image.Image, logo: Image.Image) -> Image.Image:
    """The image with `logo` composited bottom-left (scaled to ~18 % of the width)."""
    base = image.convert("RGBA")
    logo = logo.convert("RGBA")
    width = max(16, int(base.width * LOGO_WIDTH_SHARE))
    height = max(1, round(logo.height * width / logo.width))
    logo = logo.resize((width, height), Image.Resampling.LANCZOS)
    alpha = logo.getchannel("A").point(lambda value: int(value * OPACITY))
    logo.putalpha(alpha)
    margin = int(min(base.size) * MARGIN_SHARE)
    base.alpha_composite(logo, (margin, base.height - height - margin))
    return base.convert("RGB")
