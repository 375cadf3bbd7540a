"""Make the tiny image fixtures the Go tests read (CI has no Python).

Run from this folder with Debian's Python and Pillow:
    /usr/bin/python3 gen_fixtures.py
Pillow 9.4.0 made the committed files.
"""
from PIL import Image

# 4x4 lossless WebP: top half red (255, 0, 0), bottom half blue (0, 0, 255).
img = Image.new("RGB", (4, 4), (255, 0, 0))
for y in range(2, 4):
    for x in range(4):
        img.putpixel((x, y), (0, 0, 255))
img.save("lossless.webp", lossless=True)

# 8x8 lossy WebP, solid (40, 160, 80): checked within a tolerance.
Image.new("RGB", (8, 8), (40, 160, 80)).save("lossy.webp", quality=90)

# 8x8 CMYK JPEG, solid C=0 M=255 Y=255 K=0 (red). Pillow writes Adobe
# (inverted) CMYK, which Go's image/jpeg decodes to *image.CMYK.
Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save("cmyk.jpg", quality=95)

# 16x16 lossy WebP of a colour gradient, and PIL's (libwebp's) decoding of
# it as raw RGB bytes, row by row, for a whole-image comparison.
grad = Image.new("RGB", (16, 16))
for y in range(16):
    for x in range(16):
        grad.putpixel((x, y), (x * 16, y * 16, 255 - x * 8 - y * 8))
grad.save("gradient.webp", quality=90)
with open("gradient.rgb", "wb") as f:
    f.write(Image.open("gradient.webp").convert("RGB").tobytes())

# 21x15 JPEGs (odd sizes exercise the edges) of a noisy colour gradient
# with 4:2:0, 4:2:2 and 4:4:4 chroma, and libjpeg's decoding of each (what
# PIL and so torchvision see) as raw RGB bytes.
import random
random.seed(3)
photo = Image.new("RGB", (21, 15))
photo.putdata([
    (min(255, x * 12 + random.randrange(40)), min(255, y * 16 + random.randrange(40)),
     (x * y * 3 + random.randrange(80)) % 256)
    for y in range(15) for x in range(21)])
for sub, name in [(2, "jpeg420"), (1, "jpeg422"), (0, "jpeg444")]:
    photo.save(name + ".jpg", quality=90, subsampling=sub)
    with open(name + ".rgb", "wb") as f:
        f.write(Image.open(name + ".jpg").convert("RGB").tobytes())

# What PIL's convert("RGB") gives for each, for the Go test's expectations.
for name in ["lossless.webp", "lossy.webp", "cmyk.jpg", "gradient.webp", "jpeg420.jpg"]:
    im = Image.open(name)
    print(name, im.mode, im.size, im.convert("RGB").getpixel((0, 0)), im.convert("RGB").getpixel((0, 3)))
