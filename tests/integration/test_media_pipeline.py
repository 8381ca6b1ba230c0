"""The media pipeline on real files (the bundled ffmpeg) and a real local HTTP server."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

import media_samples
from wagate.errors import InvalidParamError, PayloadTooLargeError
from wagate.media import Ffmpeg, MediaFetcher, sniff
from wagate_receiver import running_app

# -- conversions ------------------------------------------------------------------------


@pytest.fixture
def ffmpeg() -> Ffmpeg:
    return Ffmpeg(max_workers=2, timeout_seconds=60)


async def test_voice_note_from_mp3(ffmpeg: Ffmpeg) -> None:
    ogg, seconds, waveform = await ffmpeg.to_voice(media_samples.mp3())
    assert sniff(ogg) == "audio/ogg; codecs=opus"
    probe = await ffmpeg.probe(ogg)
    assert probe.audio_codec == "opus"
    assert probe.audio_channels == 1
    assert probe.sample_rate == 48000
    assert probe.video_codec is None
    assert probe.duration == pytest.approx(media_samples.MP3_SECONDS, abs=0.2)
    assert seconds == media_samples.MP3_SECONDS
    assert len(waveform) == 64
    assert all(0 <= v <= 100 for v in waveform)
    assert len(set(waveform)) > 1
    assert max(waveform) == 100
    assert waveform[-1] > waveform[0]  # the sample gets louder


async def test_voice_note_needs_sound(ffmpeg: Ffmpeg) -> None:
    with pytest.raises(InvalidParamError, match="could not be converted: it has no audio"):
        await ffmpeg.to_voice(media_samples.png())


async def test_mp4_from_mpeg4_in_matroska(ffmpeg: Ffmpeg) -> None:
    mp4, probe = await ffmpeg.to_mp4(media_samples.video(), note=False)
    assert sniff(mp4) == "video/mp4"
    assert (probe.video_codec, probe.audio_codec) == ("h264", "aac")
    assert (probe.width, probe.height) == (320, 240)
    assert probe.duration == pytest.approx(media_samples.VIDEO_SECONDS, abs=0.2)
    assert probe.seconds == media_samples.VIDEO_SECONDS
    boxes = media_samples.mp4_boxes(mp4)
    assert boxes.index(b"moov") < boxes.index(b"mdat")  # faststart


async def test_mp4_evens_odd_sizes(ffmpeg: Ffmpeg) -> None:
    _, probe = await ffmpeg.to_mp4(media_samples.portrait_video(), note=False)  # 241x427
    assert (probe.width, probe.height) == (240, 426)
    assert probe.video_codec == "h264"
    assert probe.audio_codec is None


async def test_video_note_is_square(ffmpeg: Ffmpeg) -> None:
    _, probe = await ffmpeg.to_mp4(media_samples.video(), note=True)
    assert (probe.width, probe.height) == (240, 240)
    assert (probe.video_codec, probe.audio_codec) == ("h264", "aac")
    _, tall = await ffmpeg.to_mp4(media_samples.portrait_video(), note=True)
    assert tall.width == tall.height == 240


async def test_thumbnails_are_small_jpegs(ffmpeg: Ffmpeg) -> None:
    for data, is_video in ((media_samples.png(), False), (media_samples.video(), True)):
        jpeg = await ffmpeg.thumbnail(data, is_video=is_video)
        assert sniff(jpeg) == "image/jpeg"
        assert await ffmpeg.image_size(jpeg) == (96, 72)
    assert await ffmpeg.image_size(media_samples.jpeg()) == (320, 240)


async def test_garbage_cannot_be_read(ffmpeg: Ffmpeg) -> None:
    with pytest.raises(InvalidParamError, match="could not be read"):
        await ffmpeg.probe(b"\x00garbage" * 100)
    with pytest.raises(InvalidParamError, match="could not be converted"):
        await ffmpeg.to_mp4(b"\x00garbage" * 100, note=False)


class RecordingFfmpeg(Ffmpeg):
    """Records when each ffmpeg process starts and ends."""

    def __init__(self, **kwargs: float) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.spans: list[tuple[float, float]] = []

    async def _execute(self, argv: Sequence[str]) -> tuple[int, bytes]:
        began = time.monotonic()
        try:
            return await super()._execute(argv)
        finally:
            self.spans.append((began, time.monotonic()))


async def test_at_most_max_workers_processes() -> None:
    recording = RecordingFfmpeg(max_workers=1)
    await asyncio.gather(
        recording.to_mp4(media_samples.video(), note=False),
        recording.to_voice(media_samples.mp3()),
        recording.thumbnail(media_samples.png()),
    )
    spans = sorted(recording.spans)
    assert len(spans) == 4  # to_mp4 probes its output too
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end  # one at a time


async def test_timeout_kills_ffmpeg() -> None:
    slow = Ffmpeg(timeout_seconds=0.05)
    with pytest.raises(InvalidParamError, match=r"took longer than 0\.05 s"):
        await slow.to_mp4(media_samples.video(), note=False)


# -- fetching ---------------------------------------------------------------------------

HUGE = 300_000


@dataclass
class FileServer:
    base: str = ""


async def _file(request: Request) -> Response:
    return Response(
        media_samples.png(),
        media_type="image/png; charset=binary",
        headers={"Content-Disposition": "attachment; filename*=UTF-8''na%C3%AFve%20pic.png"},
    )


async def _plain(request: Request) -> Response:
    return Response(media_samples.pdf(), media_type="application/pdf")


async def _missing(request: Request) -> Response:
    return Response("gone", status_code=404)


async def _hop(request: Request) -> Response:
    left = int(request.path_params["n"])
    target = "/docs/report.pdf" if left == 0 else f"/hop/{left - 1}"
    return RedirectResponse(target, status_code=302)


async def _to_ftp(request: Request) -> Response:
    return RedirectResponse("ftp://example.com/x", status_code=301)


async def _huge_stream(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(HUGE // 10_000 + 1):
            yield b"x" * 10_000

    return StreamingResponse(chunks(), media_type="application/octet-stream")


async def _huge_announced(request: Request) -> Response:
    return Response(b"x" * HUGE, media_type="application/octet-stream")


@asynccontextmanager
async def file_server() -> AsyncIterator[FileServer]:
    app = Starlette(
        routes=[
            Route("/files/pic", _file),
            Route("/docs/report.pdf", _plain),
            Route("/missing", _missing),
            Route("/hop/{n:int}", _hop),
            Route("/to-ftp", _to_ftp),
            Route("/huge/stream", _huge_stream),
            Route("/huge/announced", _huge_announced),
        ]
    )
    async with running_app(app) as base:
        yield FileServer(base=base)


@pytest.fixture
async def served() -> AsyncIterator[FileServer]:
    async with file_server() as server:
        yield server


@pytest.fixture
async def fetcher() -> AsyncIterator[MediaFetcher]:
    async with MediaFetcher(max_bytes=100_000, allow_private=True, timeout_seconds=10) as f:
        yield f


async def test_fetch_a_file(served: FileServer, fetcher: MediaFetcher) -> None:
    got = await fetcher.fetch(f"{served.base}/files/pic")
    assert got.data == media_samples.png()
    assert got.mimetype == "image/png"
    assert got.filename == "naïve pic.png"
    plain = await fetcher.fetch(f"{served.base}/docs/report.pdf?x=1")
    assert (plain.mimetype, plain.filename) == ("application/pdf", "report.pdf")


async def test_fetch_404(served: FileServer, fetcher: MediaFetcher) -> None:
    url = f"{served.base}/missing"
    with pytest.raises(InvalidParamError) as caught:
        await fetcher.fetch(url)
    assert caught.value.message == f"Could not fetch {url}: HTTP 404"


async def test_fetch_follows_redirects(served: FileServer, fetcher: MediaFetcher) -> None:
    got = await fetcher.fetch(f"{served.base}/hop/4")  # 5 redirects: the limit
    assert (got.data, got.filename) == (media_samples.pdf(), "report.pdf")
    with pytest.raises(InvalidParamError, match="more than 5 redirects"):
        await fetcher.fetch(f"{served.base}/hop/5")
    with pytest.raises(InvalidParamError, match="only http and https"):
        await fetcher.fetch(f"{served.base}/to-ftp")


async def test_fetch_too_large(served: FileServer, fetcher: MediaFetcher) -> None:
    for path in ("/huge/stream", "/huge/announced"):
        with pytest.raises(PayloadTooLargeError, match="larger than 100000 bytes"):
            await fetcher.fetch(served.base + path)


async def test_fetch_connection_refused() -> None:
    async with file_server() as server:
        url = f"{server.base}/files/pic"
    async with MediaFetcher(max_bytes=1000, allow_private=True) as fetcher:
        with pytest.raises(InvalidParamError, match="connection failed"):
            await fetcher.fetch(url)


async def test_ssrf_guard(served: FileServer) -> None:
    async with MediaFetcher(max_bytes=100_000, timeout_seconds=5) as guarded:
        for url in (
            f"{served.base}/files/pic",
            f"http://localhost:{served.base.rsplit(':', 1)[1]}/files/pic",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://[fd00:ec2::254]/",
            "http://0.0.0.0/",
            "http://10.0.0.1/",
        ):
            with pytest.raises(InvalidParamError, match="private/loopback/link-local"):
                await guarded.fetch(url)
        for url, problem in (
            ("ftp://example.com/file", "only http and https"),
            ("file:///etc/passwd", "only http and https"),
            ("http:///nohost", "no host"),
        ):
            with pytest.raises(InvalidParamError, match=problem):
                await guarded.fetch(url)
    async with MediaFetcher(max_bytes=100_000, allow_private=True) as trusting:
        assert (await trusting.fetch(f"{served.base}/files/pic")).data == media_samples.png()
