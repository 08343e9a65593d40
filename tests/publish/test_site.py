"""The published directory: a build is swapped in whole, old builds pruned, a reader never sees
a half-written set; and the static server over it (in process: Starlette's test client)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from hub.publish import CURRENT, RELEASES, PageFile, PublishError, pages_app, write_release


def files(generation: int, padding: int = 0) -> list[PageFile]:
    body = json.dumps({"generation": generation, "padding": "x" * padding}).encode()
    return [PageFile("index.json", body),
            PageFile("index.html", f"<p>build {generation}</p>".encode()),
            PageFile("data.csv", b"a,b\r\n1,2\r\n"), PageFile("style.css", b"p{}")]  # fmt: skip


def builds(root: Path) -> list[str]:
    return sorted(p.name for p in (root / RELEASES).iterdir())


def test_a_build_is_current_once_whole_and_old_ones_are_pruned(tmp_path: Path) -> None:
    first = write_release(tmp_path, files(1), keep=2)
    assert (tmp_path / CURRENT).resolve() == first.path.resolve()
    second = write_release(tmp_path, files(2), keep=2)
    assert json.loads((tmp_path / CURRENT / "index.json").read_bytes())["generation"] == 2
    assert builds(tmp_path) == sorted([first.path.name, second.path.name])
    third = write_release(tmp_path, files(3), keep=2)
    assert builds(tmp_path) == sorted([second.path.name, third.path.name])
    assert third.files == ("data.csv", "index.html", "index.json", "style.css")


def test_staging_a_crashed_build_left_is_removed(tmp_path: Path) -> None:
    write_release(tmp_path, files(1), keep=1)
    crashed = tmp_path / RELEASES / ".tmp-crashed"
    crashed.mkdir()
    (crashed / "index.html").write_bytes(b"half")
    write_release(tmp_path, files(2), keep=1)
    assert not crashed.exists()
    assert len(builds(tmp_path)) == 1


def test_a_directory_not_ours_is_refused(tmp_path: Path) -> None:
    (tmp_path / CURRENT).mkdir()
    with pytest.raises(PublishError, match="not the symlink"):
        write_release(tmp_path, files(1), keep=1)
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(PublishError, match="cannot publish"):
        write_release(a_file, files(1), keep=1)
    with pytest.raises(PublishError, match="unique plain names"):
        write_release(tmp_path / "x", [PageFile("../up.html", b"")], keep=1)


def test_readers_during_rebuilds_see_whole_builds(tmp_path: Path) -> None:
    write_release(tmp_path, files(0, 200_000), keep=2)
    done = threading.Event()
    seen: list[int] = []
    broken: list[str] = []

    def read() -> None:
        while not done.is_set():
            try:
                text = (tmp_path / CURRENT / "index.json").read_bytes()
                seen.append(json.loads(text)["generation"])
            except (json.JSONDecodeError, FileNotFoundError) as exc:
                broken.append(repr(exc))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for generation in range(1, 30):
            write_release(tmp_path, files(generation, 200_000), keep=2)
    finally:
        done.set()
        reader.join()
    assert broken == []
    assert len(seen) > 0
    assert seen == sorted(seen)  # never an older build after a newer one


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    write_release(tmp_path, files(1), keep=2)
    (tmp_path / "secret.txt").write_text("outside the build")
    return TestClient(pages_app(tmp_path))


def test_the_server_serves_the_current_build_with_content_types(
    client: TestClient, tmp_path: Path
) -> None:
    index = client.get("/")
    assert index.status_code == 200
    assert index.headers["content-type"] == "text/html; charset=utf-8"
    assert index.text == "<p>build 1</p>"
    assert "default-src 'none'" in index.headers["content-security-policy"]
    assert index.headers["x-content-type-options"] == "nosniff"
    assert client.get("/index.json").headers["content-type"] == "application/json"
    assert client.get("/data.csv").headers["content-type"] == "text/csv; charset=utf-8"
    assert client.get("/style.css").headers["content-type"] == "text/css; charset=utf-8"
    write_release(tmp_path, files(2), keep=2)
    assert client.get("/index.html").text == "<p>build 2</p>"  # the swap is seen at once


def test_the_server_is_read_only_and_lists_nothing(client: TestClient, tmp_path: Path) -> None:
    assert client.post("/index.html").status_code == 405
    assert client.put("/index.html", content=b"x").status_code == 405
    assert client.delete("/index.html").status_code == 405
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/releases/",
                 "/../releases/", "/missing/", "/missing.html", "/.lock"):  # fmt: skip
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "outside the build" not in answer.text
    (tmp_path / CURRENT / "out.txt").symlink_to(tmp_path / "secret.txt")  # a link out: 404
    assert client.get("/out.txt").status_code == 404
    (tmp_path / CURRENT / "sub").mkdir(exist_ok=True)  # a directory with no index: no listing
    (tmp_path / CURRENT / "sub" / "a.txt").write_text("a")
    listing = client.get("/sub/")
    assert listing.status_code == 404
    assert "a.txt" not in listing.text
