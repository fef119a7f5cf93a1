"""Downloads against a loopback HTTP server: verified, atomic, nothing partial kept."""

import gzip
import hashlib
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from scratchgan.data import cache_dir, load_mnist
from scratchgan.data import download as dl
from scratchgan.errors import DataError

TRAIN = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")


class _Handler(BaseHTTPRequestHandler):
    """Serves `server.routes[path] = (body, mode)`; mode "drop" sends half, closes."""

    def do_GET(self):
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        body, mode = route
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()

        # "drop": promise the whole body, send half, then hang up
        if mode == "drop":
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        else:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A loopback HTTP server on an ephemeral port, in a background thread."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.routes = {}
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def fake_mnist(tmp_path, files, monkeypatch):
    """Small gzip IDX train files, with the checksum table set to match them."""
    images, labels, paths = files.write_split(tmp_path / "src", n=30, gz=True)
    bodies = {path.name: path.read_bytes() for path in paths}
    checksums = {name: hashlib.md5(body).hexdigest() for name, body in bodies.items()}
    monkeypatch.setattr(dl, "CHECKSUMS", {**dl.CHECKSUMS, **checksums})
    return images, labels, bodies


def serve(server, monkeypatch, bodies, mode="ok", mirror="/m1/", mirrors=None):
    """Publish `bodies` under `mirror` and make it the only mirror (or `mirrors`)."""
    for name, body in bodies.items():
        server.routes[mirror + name] = (body, mode)
    urls = [server.url + m for m in (mirrors or [mirror])]
    monkeypatch.setattr(dl, "MIRRORS", tuple(urls))


def cache_listing():
    """Every file in the cache folder, temporary ones included."""
    folder = cache_dir()
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_fills_the_cache(server, monkeypatch, fake_mnist, caplog):
    images, labels, bodies = fake_mnist
    serve(server, monkeypatch, bodies)
    caplog.set_level(logging.INFO, logger="scratchgan")

    got_images, got_labels = load_mnist()

    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    assert cache_listing() == sorted(TRAIN)
    assert "downloaded" in caplog.records[-1].getMessage()

    # a second load reads the cache and never asks the server
    server.routes.clear()
    np.testing.assert_array_equal(load_mnist()[0], images)


def test_second_mirror_used_when_first_lacks_files(server, monkeypatch, fake_mnist):
    images, _, bodies = fake_mnist
    serve(server, monkeypatch, bodies, mirror="/m2/", mirrors=["/m1/", "/m2/"])

    np.testing.assert_array_equal(load_mnist()[0], images)
    assert cache_listing() == sorted(TRAIN)


def test_checksum_mismatch_keeps_nothing(server, monkeypatch, fake_mnist):
    _, _, bodies = fake_mnist
    wrong = {name: gzip.compress(b"tampered " + body) for name, body in bodies.items()}
    serve(server, monkeypatch, wrong)

    with pytest.raises(DataError, match="MD5") as info:
        load_mnist()

    assert "train-images-idx3-ubyte.gz" in str(info.value)
    assert "\n" not in str(info.value)
    assert cache_listing() == []


def test_good_mirror_after_bad_checksum_wins(server, monkeypatch, fake_mnist):
    images, _, bodies = fake_mnist
    wrong = {name: b"x" + body for name, body in bodies.items()}
    serve(server, monkeypatch, wrong, mirror="/bad/")
    serve(server, monkeypatch, bodies, mirror="/good/", mirrors=["/bad/", "/good/"])

    np.testing.assert_array_equal(load_mnist()[0], images)
    assert cache_listing() == sorted(TRAIN)


def test_dropped_connection_keeps_nothing(server, monkeypatch, fake_mnist, caplog):
    _, _, bodies = fake_mnist
    serve(server, monkeypatch, bodies, mode="drop")
    caplog.set_level(logging.INFO, logger="scratchgan")

    images, _ = load_mnist()

    # network trouble is not a bad file: fall back to the offline sample
    assert len(images) == 5000
    assert "offline default" in caplog.records[-1].getMessage()
    assert cache_listing() == []


def test_dropped_connection_on_labels_keeps_the_good_images(
    server, monkeypatch, fake_mnist
):
    _, _, bodies = fake_mnist
    serve(server, monkeypatch, {TRAIN[0]: bodies[TRAIN[0]]})
    server.routes["/m1/" + TRAIN[1]] = (bodies[TRAIN[1]], "drop")

    assert len(load_mnist()[0]) == 5000

    # the verified images file stays; the broken labels download left no trace
    assert cache_listing() == [TRAIN[0]]
