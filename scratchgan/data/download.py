"""Fetch the official MNIST files into the cache, verified and written atomically.

Each file is streamed into a temporary file in the cache folder, checked against the
MD5 that torchvision publishes, and only then renamed into place with `os.replace`
(atomic within one folder). A wrong checksum, a dropped connection or an interrupt
deletes the temporary file, so the cache never holds a partial or wrong file.

`MIRRORS` and `CHECKSUMS` are module constants so tests can point them at a loopback
server and at checksums of small fake files.
"""

import hashlib
import http.client
import logging
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from scratchgan.data.formats import one_line
from scratchgan.errors import DataError

logger = logging.getLogger("scratchgan")

# tried in order; each must serve the four files under these exact names
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

# MD5 of the official gzip files, as published by torchvision
CHECKSUMS = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

# seconds per socket operation; offline machines should give up quickly
TIMEOUT_S = 10

_CHUNK = 1 << 16


class DownloadFailed(Exception):
    """No mirror could deliver a file (network trouble, not a bad file)."""


class _ChecksumMismatch(Exception):
    """A mirror delivered a whole file whose MD5 is not the published one."""


def _fetch_to(url, tmp_file):
    """Stream `url` into the open file `tmp_file`; return the MD5 hex digest.

    http.client does not raise when a server closes the connection before
    Content-Length bytes arrive (it just returns b""), so count them ourselves.
    """
    md5 = hashlib.md5(usedforsecurity=False)
    received = 0
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        length = response.headers.get("Content-Length")
        while True:
            chunk = response.read(_CHUNK)
            if not chunk:
                break
            tmp_file.write(chunk)
            md5.update(chunk)
            received += len(chunk)

    if length is not None and length.isdigit() and received < int(length):
        raise ConnectionError(
            f"connection dropped after {received:,} of {int(length):,} bytes"
        )
    return md5.hexdigest()


def _download_one(name, folder):
    """Download `name` from the first mirror that delivers it intact.

    Returns the final path. Raises DownloadFailed when every mirror failed on the
    network, and DataError when a mirror delivered a file with the wrong checksum
    and no other mirror delivered a good one.
    """
    expected = CHECKSUMS[name]
    target = folder / name
    problems = []
    mismatch = None

    for mirror in MIRRORS:
        url = mirror + name
        try:
            fd, tmp_name = tempfile.mkstemp(
                dir=folder, prefix=f".{name}.", suffix=".part"
            )
        except OSError as err:
            raise DownloadFailed(f"cannot write to {folder}: {err}") from None
        keep = False
        try:
            # download and verify before the file gets its real name
            with os.fdopen(fd, "wb") as tmp_file:
                digest = _fetch_to(url, tmp_file)
            if digest != expected:
                raise _ChecksumMismatch(digest)
            os.replace(tmp_name, target)
            keep = True
            return target
        except _ChecksumMismatch as err:
            mismatch = (url, str(err))
            problems.append(f"{url}: MD5 mismatch")
        except (OSError, urllib.error.URLError, http.client.HTTPException) as err:
            # URLError, timeouts and dropped connections are OSErrors; a broken
            # HTTP response (BadStatusLine, IncompleteRead) is HTTPException
            # URLError wraps the socket error; its reason reads better alone
            reason = err.reason if isinstance(err, urllib.error.URLError) else err
            problems.append(f"{url}: {one_line(reason)}")
        finally:
            if not keep:
                Path(tmp_name).unlink(missing_ok=True)
        logger.debug("MNIST download failed: %s", problems[-1])

    if mismatch is not None:
        url, digest = mismatch
        raise DataError(
            f"{url}: downloaded file fails its MD5 check (got {digest}, expected "
            f"{expected}); nothing was saved in {folder}"
        )
    if not problems:
        raise DownloadFailed("no mirrors configured")
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    raise DownloadFailed(problems[0] + more)


def download_mnist(names, folder):
    """Download each file in `names` that `folder` lacks; return the folder.

    Stops at the first file no mirror can deliver, so an offline machine pays for
    one round of failed connections, not one per file.
    """
    folder = Path(folder)
    new_dirs = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DownloadFailed(f"cannot create cache folder {folder}: {err}") from None

    # on failure, remove the folders this call made, if they are still empty
    try:
        for name in names:
            if not (folder / name).exists():
                _download_one(name, folder)
    except (DownloadFailed, DataError):
        for made in new_dirs:
            try:
                made.rmdir()
            except OSError:
                break
        raise
    return folder
