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

# End to end: a 4:2:0 JPEG through torchvision's evaluation transforms,
# Resize((32, 32)) + ToTensor + Normalize(0.5, 0.5), saved as float32 CHW
# little-endian raw values.
import numpy as np
import torch
from torchvision import transforms

random.seed(4)
photo = Image.new("RGB", (45, 37))
photo.putdata([
    (min(255, x * 5 + random.randrange(60)), min(255, y * 6 + random.randrange(60)),
     (x * y + random.randrange(90)) % 256)
    for y in range(37) for x in range(45)])
photo.save("photo.jpg", quality=90)  # Pillow's default subsampling is 4:2:0
tf = transforms.Compose([
    transforms.Resize((32, 32)),
    transforms.ToTensor(),
    transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
])
with Image.open("photo.jpg") as im:
    x = tf(im.convert("RGB"))
x.numpy().astype("<f4").tofile("photo_eval32.f32")
