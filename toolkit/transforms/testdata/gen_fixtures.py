"""Make the Pillow reference images the Go tests compare against.

Run from this folder with Debian's Python and Pillow (9.4.0 made the
committed files):
    /usr/bin/python3 gen_fixtures.py

torchvision 0.14 on PIL images does exactly these calls:
RandomRotation(d) -> img.rotate(angle, NEAREST, expand=False, center=None,
fillcolor=(0, 0, 0)), and Resize((h, w)) -> img.resize((w, h), BILINEAR).
"""
import random

from PIL import Image

# Keep in step with rotationAngles in pipeline_parity_test.go.
ANGLES = [23.5, -17.25, 45.0, -130.0, 7.0, 179.9]

random.seed(1)
src = Image.new("RGB", (23, 17))
src.putdata([tuple(random.randrange(256) for _ in range(3)) for _ in range(23 * 17)])
src.save("src.png")

for i, angle in enumerate(ANGLES):
    src.rotate(angle, Image.NEAREST, expand=False, fillcolor=(0, 0, 0)).save(f"rotate{i}.png")

# Bilinear resizes down and up, as torchvision's Resize((h, w)).
src.resize((9, 11), Image.BILINEAR).save("resize_down.png")
src.resize((40, 30), Image.BILINEAR).save("resize_up.png")
