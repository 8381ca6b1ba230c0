"""Probing and converting media with the ffmpeg binary that ``imageio-ffmpeg`` ships.

Every job writes its input to a private temporary directory, runs one ffmpeg process
(``asyncio.create_subprocess_exec``, no shell) and reads the output back. At most
``max_workers`` processes run at once, so a burst of uploads queues up instead of
starving the server; each process is killed when it outlives ``timeout_seconds``.

There is no ffprobe in imageio-ffmpeg: :meth:`Ffmpeg.probe` reads what
``ffmpeg -i <file>`` prints about its input.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import shutil
import sys
import tempfile
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wagate.errors import InvalidParamError

WAVEFORM_SAMPLES = 64
WAVEFORM_RATE = 8000
MAX_VIDEO_SIDE = 1280
NOTE_SIDE = 640
THUMBNAIL_WIDTH = 96
PROFILE_PICTURE_SIZE = 640
_MAX_WAVEFORM_SAMPLES = 16_000  # per bucket; longer buckets are sampled with a stride

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_STREAM = re.compile(r"^\s*Stream #\d+:\d+\S*: (Video|Audio): (.*)$", re.MULTILINE)
_SIZE = re.compile(r"(?:^|[\s,])(\d{1,5})x(\d{1,5})(?:[\s,]|$)")
_ROTATION = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees")
_RATE = re.compile(r"(\d+) Hz")
_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "5.0": 5, "5.1": 6, "7.1": 8}
_MISSING_STREAM = re.compile(
    r"Failed to set value '0:([av]):0' for option 'map'|Stream map '0:([av]):0' matches no streams"
)
_LOG_PREFIX = re.compile(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*")

_SCALE_DOWN = (
    "scale=w='trunc(min(1,{side}/max(iw,ih))*iw/2)*2':h='trunc(min(1,{side}/max(iw,ih))*ih/2)*2'"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """What ffmpeg says about a file (its first video and audio streams)."""

    duration: float | None = None  # seconds; None for still images or when unknown
    width: int | None = None  # as displayed (a 90° rotation swaps the coded sizes)
    height: int | None = None
    video_codec: str | None = None  # "h264", "png", ... (cover art is not a video)
    audio_codec: str | None = None  # "aac", "opus", "mp3", ...
    audio_channels: int | None = None
    sample_rate: int | None = None
    container: str | None = None  # ffmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"

    @property
    def seconds(self) -> int:
        """The whole seconds WhatsApp shows (at least 1 for anything with a duration)."""
        if not self.duration:
            return 0
        return max(1, round(self.duration))


def parse_probe(stderr: str) -> Probe:
    """Read ``ffmpeg -i`` output (only the ``Input #0`` part)."""
    text = stderr.split("Output #0", 1)[0]
    values: dict[str, object] = {}
    container = re.search(r"Input #0, (.+?), from ", text)
    if container:
        values["container"] = container.group(1)
    duration = _DURATION.search(text)
    if duration:
        hours, minutes, seconds = duration.groups()
        values["duration"] = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    for kind, spec in _STREAM.findall(text):
        codec = spec.split(",", 1)[0].split(" ", 1)[0].strip()
        if kind == "Video" and "video_codec" not in values and "(attached pic)" not in spec:
            values["video_codec"] = codec
            size = _SIZE.search(spec)
            if size:
                values["width"], values["height"] = int(size.group(1)), int(size.group(2))
        elif kind == "Audio" and "audio_codec" not in values:
            values["audio_codec"] = codec
            rate = _RATE.search(spec)
            if rate:
                values["sample_rate"] = int(rate.group(1))
            values["audio_channels"] = _channels(spec)
    rotation = _ROTATION.search(text)
    if rotation and round(abs(float(rotation.group(1)))) % 180 == 90 and "width" in values:
        values["width"], values["height"] = values["height"], values["width"]
    return Probe(**values)  # type: ignore[arg-type]


def _channels(spec: str) -> int | None:
    parts = [part.strip() for part in spec.split(",")]
    for part in parts[2:4]:
        layout = part.split("(", 1)[0].strip()
        if layout in _CHANNELS:
            return _CHANNELS[layout]
        match = re.fullmatch(r"(\d+) channels", layout)
        if match:
            return int(match.group(1))
    return None


def waveform(pcm: bytes, samples: int = WAVEFORM_SAMPLES) -> bytes:
    """``samples`` loudness values 0..100 (RMS per slice, loudest = 100) of s16le PCM."""
    values = array("h")
    values.frombytes(pcm[: len(pcm) // 2 * 2])
    if sys.byteorder == "big":
        values.byteswap()
    if not values:
        return bytes(samples)
    levels: list[float] = []
    for index in range(samples):
        chunk = values[index * len(values) // samples : (index + 1) * len(values) // samples]
        if len(chunk) > _MAX_WAVEFORM_SAMPLES:
            chunk = chunk[:: len(chunk) // _MAX_WAVEFORM_SAMPLES + 1]
        levels.append(math.sqrt(sum(v * v for v in chunk) / len(chunk)) if chunk else 0.0)
    loudest = max(levels)
    if loudest < 1:  # digital silence
        return bytes(samples)
    return bytes(min(100, round(level * 100 / loudest)) for level in levels)


def _last_line(stderr: str, workdir: str) -> str:
    """The reason ffmpeg gives last, without its log prefix and our temp paths."""
    missing = _MISSING_STREAM.search(stderr)
    if missing:
        kind = missing.group(1) or missing.group(2)
        return f"it has no {'audio' if kind == 'a' else 'video'} stream"
    lines = [line.strip() for line in stderr.replace(workdir, "").splitlines() if line.strip()]
    if not lines:
        return "ffmpeg failed without a message"
    return _LOG_PREFIX.sub("", lines[-1])


class Ffmpeg:
    """Media jobs on an ffmpeg binary, ``max_workers`` processes at a time."""

    def __init__(
        self,
        *,
        executable: str | None = None,
        max_workers: int = 2,
        timeout_seconds: float = 300,
    ) -> None:
        if executable is None:
            import imageio_ffmpeg  # type: ignore[import-untyped]

            executable = str(imageio_ffmpeg.get_ffmpeg_exe())
        self.executable = executable
        self.max_workers = max_workers
        self.timeout_seconds = timeout_seconds
        self._slots = asyncio.Semaphore(max_workers)

    # -- jobs ---------------------------------------------------------------------------

    async def probe(self, data: bytes) -> Probe:
        """Duration, size and codecs of ``data``; InvalidParamError if ffmpeg cannot read it."""
        stderr, _ = await self.run([], data, outputs=())
        probe = parse_probe(stderr)
        if probe.video_codec is None and probe.audio_codec is None:
            raise InvalidParamError(f"The file could not be read: {_last_line(stderr, '')}")
        return probe

    async def to_voice(self, data: bytes) -> tuple[bytes, int, bytes]:
        """A WhatsApp voice note: OGG/Opus mono 48 kHz, its whole seconds, its waveform."""
        args = [
            "-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1",
            "-c:a", "libopus", "-b:a", "32k", "-ac", "1", "-ar", "48000",
            "-application", "voip", "-f", "ogg", "{out0}",
            "-map", "0:a:0", "-ac", "1", "-ar", str(WAVEFORM_RATE),
            "-f", "s16le", "-c:a", "pcm_s16le", "{out1}",
        ]  # fmt: skip
        _, (ogg, pcm) = await self.run(args, data, outputs=("voice.ogg", "pcm.raw"))
        seconds = len(pcm) / 2 / WAVEFORM_RATE
        wave = await asyncio.to_thread(waveform, pcm)
        return ogg, max(1, round(seconds)) if seconds > 0 else 0, wave

    async def to_mp4(self, data: bytes, *, note: bool = False) -> tuple[bytes, Probe]:
        """H.264/AAC MP4 that WhatsApp plays: yuv420p, even sizes, moov first.

        At most 1280 px on the long side; a ``note`` (round video) is the centred
        square scaled to 640×640 at most.
        """
        if note:
            video_filter = (
                "crop='min(iw,ih)':'min(iw,ih)',"
                f"scale=w='trunc(min({NOTE_SIDE},iw)/2)*2':h='trunc(min({NOTE_SIDE},ih)/2)*2',"
                "setsar=1,format=yuv420p"
            )
        else:
            video_filter = f"{_SCALE_DOWN.format(side=MAX_VIDEO_SIDE)},setsar=1,format=yuv420p"
        args = [
            "-map", "0:v:0", "-map", "0:a:0?", "-sn", "-dn", "-map_metadata", "-1",
            "-vf", video_filter,
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
            "-profile:v", "high", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "128k", "-ac", "2",
            "-movflags", "+faststart", "-f", "mp4", "{out0}",
        ]  # fmt: skip
        _, (mp4,) = await self.run(args, data, outputs=("video.mp4",))
        return mp4, await self.probe(mp4)

    async def thumbnail(self, data: bytes, *, is_video: bool = False) -> bytes:
        """A small JPEG (about 96 px wide): the image, or the video's frame at 0.5 s."""
        args = [
            "-frames:v", "1", "-an", "-sn", "-dn",
            "-vf", f"scale=w='min({THUMBNAIL_WIDTH},iw)':h=-2,format=yuvj420p",
            "-c:v", "mjpeg", "-q:v", "5", "-f", "image2", "-update", "1", "{out0}",
        ]  # fmt: skip
        if is_video:
            try:
                _, (jpeg,) = await self.run(
                    args, data, outputs=("thumb.jpg",), before=["-ss", "0.5"]
                )
                if jpeg:
                    return jpeg
            except InvalidParamError:
                pass  # shorter than half a second: take the first frame
        _, (jpeg,) = await self.run(args, data, outputs=("thumb.jpg",))
        if not jpeg:
            raise InvalidParamError("The file could not be converted: it has no picture")
        return jpeg

    async def profile_picture(self, data: bytes) -> bytes:
        """A square JPEG of ``PROFILE_PICTURE_SIZE`` px cut from the middle of the image,
        as WhatsApp wants profile pictures."""
        size = PROFILE_PICTURE_SIZE
        args = [
            "-frames:v", "1", "-an", "-sn", "-dn",
            "-vf", f"crop='min(iw,ih)':'min(iw,ih)',scale={size}:{size},format=yuvj420p",
            "-c:v", "mjpeg", "-q:v", "3", "-f", "image2", "-update", "1", "{out0}",
        ]  # fmt: skip
        _, (jpeg,) = await self.run(args, data, outputs=("picture.jpg",))
        if not jpeg:
            raise InvalidParamError("The file could not be converted: it has no picture")
        return jpeg

    async def image_size(self, data: bytes) -> tuple[int, int]:
        probe = await self.probe(data)
        if probe.width is None or probe.height is None:
            raise InvalidParamError("The file could not be read: it has no picture")
        return probe.width, probe.height

    # -- running ffmpeg -----------------------------------------------------------------

    async def run(
        self,
        args: Sequence[str],
        data: bytes,
        *,
        outputs: Sequence[str],
        before: Sequence[str] = (),
    ) -> tuple[str, list[bytes]]:
        """Run ``ffmpeg [before] -i <data> args`` and return (stderr, the output files).

        ``{out0}``, ``{out1}``… in ``args`` are replaced by the paths of ``outputs``.
        With no outputs ffmpeg only reads the input (a probe); its exit status is then
        not an error.
        """
        async with self._slots:
            workdir = await asyncio.to_thread(tempfile.mkdtemp, prefix="wagate-ffmpeg-")
            try:
                source = Path(workdir) / "in"  # no extension: formats come from the bytes
                await asyncio.to_thread(source.write_bytes, data)
                paths = [str(Path(workdir) / name) for name in outputs]
                argv = [
                    self.executable, "-hide_banner", "-nostdin", "-y",
                    *before, "-i", str(source),
                    *(_fill(arg, paths) for arg in args),
                ]  # fmt: skip
                returncode, stderr = await self._execute(argv)
                text = stderr.decode("utf-8", "replace")
                if outputs and returncode != 0:
                    raise InvalidParamError(
                        f"The file could not be converted: {_last_line(text, workdir)}"
                    )
                results = [await asyncio.to_thread(_read_or_empty, path) for path in paths]
                return text, results
            finally:
                await asyncio.to_thread(shutil.rmtree, workdir, True)

    async def _execute(self, argv: Sequence[str]) -> tuple[int, bytes]:
        """Run one process to its end (killed after ``timeout_seconds``): (exit code, stderr)."""
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with asyncio.timeout(self.timeout_seconds):
                _, stderr = await process.communicate()
        except TimeoutError:
            await _kill(process)
            raise InvalidParamError(
                f"The file could not be converted: ffmpeg took longer than "
                f"{self.timeout_seconds:g} s"
            ) from None
        except BaseException:
            await _kill(process)
            raise
        assert process.returncode is not None
        return process.returncode, stderr


def _fill(arg: str, paths: Sequence[str]) -> str:
    for index, path in enumerate(paths):
        arg = arg.replace(f"{{out{index}}}", path)
    return arg


def _read_or_empty(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        return b""


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    await asyncio.shield(process.wait())
