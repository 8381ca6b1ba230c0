"""Media that wagate refuses, and how it says so."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import media_samples as samples
from wagate.config import Settings
from wagate_receiver import running_files
from wagate_testing import Api, make_settings

B_ID = "447441429002@c.us"


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Small media cap; private URLs allowed only where a test asks (indirect param)."""
    allow_private = getattr(request, "param", False)
    return make_settings(
        tmp_path, media_max_bytes=64 * 1024, media_allow_private_urls=allow_private
    )


@pytest.fixture
async def files() -> AsyncIterator[str]:
    served = {
        "doc.pdf": (samples.pdf(), "application/pdf"),
        "big.bin": (b"\0" * (200 * 1024), "application/octet-stream"),
        "photo.jpg": (samples.jpeg(), "image/jpeg"),
    }
    async with running_files(served) as base:
        yield base


async def working(api: Api) -> dict[str, str]:
    return {"access_token": api.tenant, "instance_id": (await api.linked_session())["instance_id"]}


async def test_local_urls_are_refused_by_default(api: Api, files: str) -> None:
    ids = await working(api)
    response = await api.call(
        "POST", "sendImage", chatId=B_ID, file={"url": f"{files}/photo.jpg"}, **ids
    )
    assert response.status_code == 400
    assert "127.0.0.1" in response.json()["message"]
    for url in ("http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://localhost/x"):
        refused = await api.call("POST", "sendFile", chatId=B_ID, file={"url": url}, **ids)
        assert refused.status_code == 400, url


@pytest.mark.parametrize(
    ("file", "words"),
    [
        ({}, "file.url"),
        ({"url": "https://a.test/x", "data": "AAAA"}, "exactly one"),
        ({"data": "not base64!!"}, "base64"),
        ({"url": "ftp://example.com/x.png"}, "http"),
        ({"data": base64.b64encode(samples.pdf()).decode()}, "application/pdf"),
    ],
)
async def test_bad_files_for_an_image(api: Api, file: dict[str, str], words: str) -> None:
    ids = await working(api)
    response = await api.call("POST", "sendImage", chatId=B_ID, file=file, **ids)
    assert response.status_code == 400, response.text
    assert words in response.json()["message"]


async def test_a_pdf_sent_as_an_image_names_both_types(api: Api) -> None:
    ids = await working(api)
    data = base64.b64encode(samples.pdf()).decode()
    response = await api.call(
        "POST", "sendImage", chatId=B_ID, file={"data": data, "mimetype": "image/png"}, **ids
    )
    assert response.status_code == 400
    message = response.json()["message"]
    assert "application/pdf" in message
    assert "image" in message


@pytest.mark.parametrize("settings", [True], indirect=True)  # the file server is local
async def test_unreachable_and_too_large(api: Api, files: str) -> None:
    ids = await working(api)
    missing = await api.call(
        "POST", "sendFile", chatId=B_ID, file={"url": f"{files}/nope.pdf"}, **ids
    )
    assert missing.status_code == 400
    assert "404" in missing.json()["message"]
    big = await api.call("POST", "sendFile", chatId=B_ID, file={"url": f"{files}/big.bin"}, **ids)
    assert big.status_code == 413
    assert big.json()["code"] == "payload_too_large"
    inline = base64.b64encode(b"\0" * (200 * 1024)).decode()
    too_big = await api.call("POST", "sendFile", chatId=B_ID, file={"data": inline}, **ids)
    assert too_big.status_code == 413


async def test_sending_media_needs_a_working_session(api: Api) -> None:
    session = await api.new_session()
    response = await api.call(
        "POST",
        "sendImage",
        access_token=api.tenant,
        instance_id=session["instance_id"],
        chatId=B_ID,
        file={"data": base64.b64encode(samples.png()).decode()},
    )
    assert response.status_code == 409


@pytest.mark.parametrize("settings", [True], indirect=True)
async def test_a_stopped_session_answers_before_fetching(api: Api, files: str) -> None:
    session = await api.new_session(start="false")
    ids = {"access_token": api.tenant, "instance_id": session["instance_id"]}
    response = await api.call(
        "POST", "sendFile", chatId=B_ID, file={"url": f"{files}/big.bin"}, **ids
    )
    assert response.status_code == 409  # not 413: nothing was fetched
