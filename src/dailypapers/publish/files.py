"""Files: atomic local writes and uploads of report files to any fsspec location.

``write_atomic`` writes through a temporary file in the target's own folder and ``os.replace``,
so a reader (a web server, a sync job) never sees half a report. ``upload`` copies report files
to a folder or to ``s3://bucket/prefix`` (MinIO, S3; needs the optional ``s3fs``), keeping their
``YYYY/MM/`` layout relative to the reports root. Uploading the same report twice overwrites the
same key, so it leaves one object. Foreign errors become :class:`~dailypapers.errors.PublishError`
with a one-line message from which every secret of the URL and the storage options is removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import DailyPapersError, PublishError
from ..net import display_url

__all__ = ["display_url", "upload", "write_atomic"]

_SECRET_WORDS = ("key", "secret", "token", "password", "passwd", "credential", "auth")
_MAX_MESSAGE = 300


def write_atomic(path: Path, data: str | bytes) -> Path:
    """Write ``data`` (text is UTF-8) to ``path`` atomically; create missing parent folders.

    An existing file keeps its permission bits; a new one gets ``0o644``. Raises
    :class:`~dailypapers.errors.DailyPapersError` (one line) when the file cannot be written.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    tmp_name: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        raise DailyPapersError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    return path


def upload(
    paths: Iterable[Path],
    root: Path,
    url: str,
    storage_options: Mapping[str, Any] | None = None,
) -> list[str]:
    """Copy ``paths`` (files; folders recursively) to ``url``, each at its path below ``root``.

    ``url`` is anything fsspec opens: ``/srv/digests``, ``file:///srv/digests``,
    ``s3://bucket/prefix`` (with ``storage_options`` such as ``{"key": ..., "secret": ...,
    "endpoint_url": "http://minio:9000"}``). ``out/2026/01/daily_digest_2026-01-08.md`` with
    root ``out`` lands at ``{url}/2026/01/daily_digest_2026-01-08.md``. Returns the written
    destinations (fsspec paths, without credentials). Raises :class:`PublishError`.
    """
    options = dict(storage_options or {})
    secrets = _secrets(options, url)
    where = display_url(url)
    files = _collect(paths, Path(root))

    try:
        import fsspec
        from fsspec.implementations.local import LocalFileSystem

        fs, base = fsspec.core.url_to_fs(_local_path(url), **options)
    except ImportError as exc:
        scheme = urlsplit(url).scheme or "file"
        hint = " (install the s3 extra: pip install 'dailypapers[s3]')" if scheme == "s3" else ""
        raise PublishError(
            _clean(f"cannot open {where}: {scheme}:// needs {exc.name or exc}{hint}", secrets)
        ) from None
    except Exception as exc:
        raise PublishError(_clean(f"cannot open {where}: {_describe(exc)}", secrets)) from None

    base = base.rstrip("/")
    written: list[str] = []
    for local, rel in files:
        target = f"{base}/{rel}" if base else rel
        try:
            if isinstance(fs, LocalFileSystem):
                write_atomic(Path(target), local.read_bytes())
            else:
                fs.put_file(str(local), target)
        except DailyPapersError as exc:
            raise PublishError(
                _clean(f"upload of {rel} to {where} failed: {exc}", secrets)
            ) from None
        except Exception as exc:
            message = f"upload of {rel} to {where} failed: {_describe(exc)}"
            raise PublishError(_clean(message, secrets)) from None
        written.append(_clean(target, secrets))
    return written


def _local_path(url: str) -> str:
    """``file:`` URLs become paths, percent-escapes decoded (fsspec keeps ``%20`` literally)."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "file" and parts.netloc in ("", "localhost"):
        return unquote(parts.path)
    return url


def _collect(paths: Iterable[Path], root: Path) -> list[tuple[Path, str]]:
    """(local file, POSIX path relative to root) for every file, folders expanded, sorted."""
    try:
        base = root.resolve()
    except OSError as exc:
        raise PublishError(f"cannot read {root}: {exc.strerror or exc}") from None
    found: dict[str, Path] = {}
    for given in paths:
        path = Path(given)
        if not path.is_absolute():
            path = Path.cwd() / path
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in candidates:
            if not file.is_file():
                raise PublishError(f"cannot upload {file}: no such file")
            resolved = file.resolve()
            try:
                rel = resolved.relative_to(base).as_posix()
            except ValueError:
                raise PublishError(f"cannot upload {file}: it is not inside {root}") from None
            found[rel] = resolved
    return sorted(((p, rel) for rel, p in found.items()), key=lambda item: item[1])


def _secrets(options: Mapping[str, Any], url: str) -> list[str]:
    """Every value that must never be printed: credential-like options and the URL's password."""
    found: list[str] = []

    def walk(value: Any, sensitive: bool) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                name = str(key).lower()
                walk(item, sensitive or any(word in name for word in _SECRET_WORDS))
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item, sensitive)
        elif sensitive and value is not None:
            text = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
            if len(text) >= 3:
                found.append(text)

    walk(options, False)
    with contextlib.suppress(ValueError):
        parts = urlsplit(url)
        found += [s for s in (parts.password, parts.username) if s and len(s) >= 3]
        if parts.query:
            found.append(parts.query)
    return sorted(set(found), key=len, reverse=True)


def _clean(message: str, secrets: list[str]) -> str:
    """One line, secrets replaced by ``***``, at most a few hundred characters."""
    for secret in secrets:
        message = message.replace(secret, "***")
    message = " ".join(message.split())
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 1] + "…"
    return message


def _describe(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        detail = exc.strerror or str(exc) or "not found"
        return f"not found ({detail})"
    if isinstance(exc, PermissionError):
        return f"permission denied ({exc.strerror or exc})"
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}"
