"""Media pipeline: conversions/s and peak memory, against the ffmpeg binary run directly.

* Voice notes: ``Ffmpeg.to_voice`` on a 3 s MP3 (OGG/Opus + waveform PCM in one ffmpeg
  run, plus the waveform) against ``subprocess.run`` of the very same ffmpeg command
  line on the same file, both two at a time.
* Image preparation: sniff + thumbnail + size (a probe) on a PNG, against the same two
  ffmpeg command lines run directly.
* Memory: ten ~20 MB 720p videos converted to H.264 MP4 at once through
  ``Ffmpeg(max_workers=2)`` against ten direct ffmpeg processes started at once. The
  peak is the largest sum of RSS of this process and its child processes (sampled from
  /proc every 20 ms); ``ru_maxrss`` of the children (the largest single child) is shown
  too.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from common import report

import media_samples
from wagate.media import Ffmpeg, sniff

CONCURRENCY = 2
PAGE = os.sysconf("SC_PAGE_SIZE")


class RecordingFfmpeg(Ffmpeg):
    """Remembers the command lines it runs (to replay them without the pipeline)."""

    def __init__(self, **kwargs: float) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.commands: list[list[str]] = []

    async def _execute(self, argv: Sequence[str]) -> tuple[int, bytes]:
        self.commands.append(list(argv))
        return await super()._execute(argv)


def replay(argv: Sequence[str], source: Path, workdir: Path) -> list[str]:
    """``argv`` with the pipeline's temporary directory swapped for ``workdir``."""
    index = list(argv).index("-i") + 1
    original = str(Path(argv[index]).parent)
    command = [arg.replace(original, str(workdir)) for arg in argv]
    command[index] = str(source)
    return command


def run_direct(commands: Sequence[Sequence[str]], data: bytes, count: int) -> float:
    """Conversions/s of ``count`` runs of ``commands`` (each run: write, run all, read)."""

    def one(_: int) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "in"
            source.write_bytes(data)
            for argv in commands:
                subprocess.run(
                    replay(argv, source, Path(tmp)),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    check=False,
                )
            for output in Path(tmp).iterdir():
                output.read_bytes()

    began = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(one, range(count)))
    return count / (time.perf_counter() - began)


async def run_pipeline(job: Callable[[], Awaitable[None]], count: int) -> float:
    began = time.perf_counter()
    await asyncio.gather(*(job() for _ in range(count)))
    return count / (time.perf_counter() - began)


async def throughput(count: int) -> list[tuple[str, str]]:
    ffmpeg = RecordingFfmpeg(max_workers=CONCURRENCY)
    mp3, png = media_samples.mp3(), media_samples.png()

    async def voice() -> None:
        await ffmpeg.to_voice(mp3)

    async def image() -> None:
        assert sniff(png) == "image/png"
        await ffmpeg.thumbnail(png)
        await ffmpeg.image_size(png)

    routes = await api_jobs()
    rows: list[tuple[str, str]] = []
    for (name, job, data), route in zip(
        (("voice note (MP3 → OGG/Opus)", voice, mp3), ("image prep", image, png)),
        ("sendVoice", "sendImage"),
        strict=True,
    ):
        ffmpeg.commands.clear()
        await job()  # warm-up, and the command lines to replay
        commands = list(ffmpeg.commands)
        direct = await asyncio.to_thread(run_direct, commands, data, count)
        piped = await run_pipeline(job, count)
        http = await run_pipeline(routes[route], count)
        rows += [
            (f"{name}: ffmpeg directly", f"{direct:7.1f} /s"),
            (f"{name}: Ffmpeg pipeline", f"{piped:7.1f} /s  ({piped / direct:.0%} of direct)"),
            (f"{route} through the HTTP API", f"{http:7.1f} /s  ({http / direct:.0%} of direct)"),
        ]
    await routes.close()
    return rows


class ApiJobs(dict[str, Callable[[], Awaitable[None]]]):
    """``sendImage``/``sendVoice`` requests against an in-process app with two linked
    sandbox sessions (the whole route: parameters, sniffing, conversion, store, events)."""

    close: Callable[[], Awaitable[None]]


async def api_jobs() -> ApiJobs:
    import base64
    import contextlib

    import httpx

    from wagate.app import create_app
    from wagate.config import load_settings

    stack = contextlib.AsyncExitStack()
    data_dir = stack.enter_context(tempfile.TemporaryDirectory())
    admin = "bench-admin-token-000000"
    settings = load_settings(data_dir=data_dir, admin_token=admin, default_engine="sandbox")
    app = create_app(settings, announce=lambda line: None)
    await stack.enter_async_context(app.router.lifespan_context(app))
    http = await stack.enter_async_context(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b/")
    )
    api = "wp-json/awp/v1/"
    ids = []
    for phone in ("447441429001", "447441429002"):
        made = (
            await http.post(f"{api}createSession", json={"access_token": admin, "name": phone})
        ).json()
        session = {"access_token": admin, "instance_id": made["instance_id"]}
        (await http.post(f"{api}sandbox/scan", json={**session, "phone": phone})).raise_for_status()
        ids.append(session)
    files = {
        "sendImage": base64.b64encode(media_samples.png()).decode(),
        "sendVoice": base64.b64encode(media_samples.mp3()).decode(),
    }
    jobs = ApiJobs()
    for route, data in files.items():

        async def job(route: str = route, data: str = data) -> None:
            params = {**ids[0], "chatId": "447441429002@c.us", "file": {"data": data}}
            (await http.post(f"{api}{route}", json=params, timeout=120)).raise_for_status()

        jobs[route] = job
    jobs.close = stack.aclose
    return jobs


class PeakSampler:
    """The largest sum of RSS of this process and its descendants, sampled from /proc."""

    def __init__(self) -> None:
        self.peak = 0
        self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, processes = tree_rss(os.getpid())
            if rss > self.peak:
                self.peak, self.peak_processes = rss, processes
            self._stop.wait(0.02)


def tree_rss(root: int) -> tuple[int, int]:
    parents: dict[int, int] = {}
    sizes: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm") as statm:
                sizes[int(entry)] = int(statm.read().split()[1]) * PAGE
        except (OSError, IndexError):
            continue
        parents[int(entry)] = int(fields[1])
    tree = {root}
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                changed = True
    return sum(sizes.get(pid, 0) for pid in tree), len(tree) - 1


async def memory(video: bytes, count: int) -> list[tuple[str, str]]:
    ffmpeg = RecordingFfmpeg(max_workers=CONCURRENCY)
    probe = await ffmpeg.probe(video)
    await ffmpeg.to_mp4(media_samples.video(), note=False)  # for its command line
    convert = ffmpeg.commands[-2]
    rows = [("input video", f"{len(video) / 1e6:.1f} MB, {probe.width}x{probe.height}, "
             f"{probe.duration:.0f} s {probe.video_codec}")]  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in"
        source.write_bytes(video)
        workdirs = [Path(tmp) / f"job{n}" for n in range(count)]
        for workdir in workdirs:
            workdir.mkdir()
        began = time.perf_counter()
        with PeakSampler() as direct:
            processes = [
                subprocess.Popen(  # noqa: ASYNC220 - the baseline: plain processes, all at once
                    replay(convert, source, workdir),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for workdir in workdirs
            ]
            codes = [process.wait() for process in processes]
        direct_seconds = time.perf_counter() - began
        assert codes == [0] * count, codes
        outputs = [len((workdir / "video.mp4").read_bytes()) for workdir in workdirs]
        shutil.rmtree(tmp, ignore_errors=True)

    fresh = Ffmpeg(max_workers=CONCURRENCY)
    began = time.perf_counter()
    with PeakSampler() as piped:
        results = await asyncio.gather(*(fresh.to_mp4(video, note=False) for _ in range(count)))
    piped_seconds = time.perf_counter() - began
    assert all(p.video_codec == "h264" for _, p in results)
    children_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rows += [
        (
            f"{count} at once, ffmpeg directly",
            f"peak {direct.peak / 2**20:6.0f} MiB ({direct.peak_processes} processes), "
            f"{direct_seconds:5.1f} s, output {outputs[0] / 1e6:.1f} MB each",
        ),
        (
            f"{count} at once, Ffmpeg(max_workers={CONCURRENCY})",
            f"peak {piped.peak / 2**20:6.0f} MiB ({piped.peak_processes} processes), "
            f"{piped_seconds:5.1f} s  (peak {piped.peak / direct.peak:.0%} of direct, "
            f"time {piped_seconds / direct_seconds:.0%})",
        ),
        ("largest single child (ru_maxrss)", f"{children_max:6.0f} MiB"),
    ]
    return rows


async def run(count: int, videos: int, video_seconds: int) -> None:
    rows = await throughput(count)
    report(
        f"media conversions ({count} each, {CONCURRENCY} at a time, {os.cpu_count()} CPUs)", rows
    )
    began = time.perf_counter()
    video = media_samples.big_video(video_seconds)
    made = time.perf_counter() - began
    rows = await memory(video, videos)
    report(f"peak memory, {videos} videos → H.264 MP4 (test video made in {made:.1f} s)", rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=40, help="conversions per throughput run")
    parser.add_argument("--videos", type=int, default=10)
    parser.add_argument("--video-seconds", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(run(args.count, args.videos, args.video_seconds))


if __name__ == "__main__":
    main()
