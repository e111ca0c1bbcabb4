"""Writes a PNG with text chunks through Pillow, as an independent reference for
packages/core/src/metadata (readPngText must read what Pillow writes)."""
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo

out = Path(__file__).resolve().parents[2] / "packages/core/src/metadata/fixtures"
out.mkdir(parents=True, exist_ok=True)
image = Image.new("RGB", (3, 2), (200, 10, 30))
info = PngInfo()
info.add_text("parameters", "a red circle\nSteps: 4, Seed: 7")
info.add_itxt("kandinsky", '{"prompt":"кот — a cat"}')
image.save(out / "pillow-text.png", pnginfo=info)
print("wrote", out / "pillow-text.png")
