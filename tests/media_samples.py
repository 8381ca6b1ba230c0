"""Real sample files for the media tests, made once per test session by the bundled ffmpeg."""

from __future__ import annotations

import functools
import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg  # type: ignore[import-untyped]

MP3_SECONDS = 3
VIDEO_SECONDS = 2


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def make(args: list[str], suffix: str) -> bytes:
    """The file ``ffmpeg -f lavfi ... args out<suffix>`` writes."""
    with tempfile.TemporaryDirectory(prefix="wagate-sample-") as tmp:
        out = Path(tmp) / f"out{suffix}"
        subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args, str(out)],
            check=True,
            timeout=120,
        )
        return out.read_bytes()


@functools.lru_cache(maxsize=1)
def png() -> bytes:
    return make(["-f", "lavfi", "-i", "testsrc=size=320x240", "-frames:v", "1"], ".png")


@functools.lru_cache(maxsize=1)
def jpeg() -> bytes:
    return make(["-f", "lavfi", "-i", "testsrc=size=320x240", "-frames:v", "1"], ".jpg")


@functools.lru_cache(maxsize=1)
def mp3() -> bytes:
    """3 s of 440 Hz, getting louder (so its waveform is not flat)."""
    source = f"aevalsrc=sin(440*2*PI*t)*(0.1+0.9*t/{MP3_SECONDS}):s=44100:d={MP3_SECONDS}"
    return make(["-f", "lavfi", "-i", source, "-c:a", "libmp3lame", "-b:a", "64k"], ".mp3")


@functools.lru_cache(maxsize=1)
def wav() -> bytes:
    return make(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "pcm_s16le"], ".wav")


@functools.lru_cache(maxsize=1)
def video() -> bytes:
    """2 s of 320x240 MPEG-4 part 2 + AAC in Matroska: nothing WhatsApp plays as is."""
    return make(
        [
            "-f", "lavfi", "-i", f"testsrc=size=320x240:rate=25:duration={VIDEO_SECONDS}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={VIDEO_SECONDS}",
            "-c:v", "mpeg4", "-c:a", "aac", "-shortest",
        ],
        ".mkv",
    )  # fmt: skip


@functools.lru_cache(maxsize=1)
def portrait_video() -> bytes:
    """1 s of 240x426 (odd, tall) MPEG-4 without sound, in MP4 (moov at the end)."""
    return make(
        ["-f", "lavfi", "-i", "testsrc=size=241x427:rate=25:duration=1", "-c:v", "mpeg4"],
        ".mp4",
    )


@functools.lru_cache(maxsize=1)
def big_video(seconds: int = 10) -> bytes:
    """About 20 MB of 1280x720 H.264 at a high bitrate (for the benchmark)."""
    return make(
        [
            "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "16M",
            "-maxrate", "16M", "-bufsize", "32M", "-c:a", "aac", "-shortest",
        ],
        ".mp4",
    )  # fmt: skip


def pdf() -> bytes:
    """A minimal valid one-page PDF, written by hand (with a correct xref table)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def mp4_boxes(data: bytes) -> list[bytes]:
    """The top-level box types of an MP4 file, in order."""
    boxes: list[bytes] = []
    offset = 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        if size == 1:
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        elif size == 0:
            size = len(data) - offset
        boxes.append(kind)
        if size < 8:
            break
        offset += size
    return boxes
