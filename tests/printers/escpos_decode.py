"""A small ESC/POS decoder for the commands printers/ emits, to check the bytes independently."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image


@dataclass
class DecodedJob:
    blocks: list[tuple[int, int, bytes]] = field(default_factory=list)  # (width bytes, rows, data)
    initialised: bool = False
    drawer_pulses: int = 0
    cuts: int = 0
    feeds: int = 0

    def image(self) -> Image.Image:
        """The raster blocks stacked top to bottom, as a mode "1" image (0 = black, printed)."""
        if not self.blocks:
            raise ValueError("no GS v 0 raster block")
        width_bytes = {block[0] for block in self.blocks}
        assert len(width_bytes) == 1, f"blocks of different widths {width_bytes}"
        width = width_bytes.pop() * 8
        rows = sum(block[1] for block in self.blocks)
        image = Image.new("1", (width, rows), 1)
        top = 0
        for wb, height, data in self.blocks:
            block = Image.frombytes("1", (wb * 8, height), data)  # bit 1 = dot printed
            image.paste(block.point(lambda v: 0 if v else 255), (0, top))
            top += height
        return image


def decode(data: bytes) -> DecodedJob:
    job = DecodedJob()
    i = 0
    while i < len(data):
        if data.startswith(b"\x1b@", i):
            job.initialised = True
            i += 2
        elif data.startswith(b"\x1dv0", i):
            mode = data[i + 3]
            assert mode == 0, f"expected normal density raster, got mode {mode}"
            width_bytes = data[i + 4] | data[i + 5] << 8
            rows = data[i + 6] | data[i + 7] << 8
            start = i + 8
            end = start + width_bytes * rows
            assert end <= len(data), "truncated raster block"
            job.blocks.append((width_bytes, rows, data[start:end]))
            i = end
        elif data.startswith(b"\x1bp", i):
            job.drawer_pulses += 1
            i += 5
        elif data.startswith(b"\x1bd", i):
            job.feeds += data[i + 2]
            i += 3
        elif data.startswith(b"\x1dV", i):
            job.cuts += 1
            i += 4 if data[i + 2] in (65, 66) else 3
        else:
            raise AssertionError(f"unexpected byte {data[i]:#04x} at offset {i}")
    return job
