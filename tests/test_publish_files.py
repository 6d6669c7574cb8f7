"""Uploads (publish.files.upload): to a local folder, and to S3 on a moto server on loopback."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dailypapers.errors import PublishError
from dailypapers.publish import display_url, upload, write_atomic

SECRET = "SuPeRsEcReT-0123456789abcdef"
REPORTS = {
    "2025/12/daily_digest_2025-12-31.md": "# 2025-12-31\n",
    "2026/01/daily_digest_2026-01-02.md": "# 2026-01-02\n",
    "2026/01/daily_digest_2026-01-08.md": "# 2026-01-08\n\nTiếng Việt ✓\n",
    "2026/01/daily_digest_2026-01-08.json": '{"schema": "dailypapers.digest/1"}\n',
    "2026/01/daily_digest_2026-01-08.html": "<!doctype html><title>2026-01-08</title>\n",
}


@pytest.fixture
def out(tmp_path: Path) -> Path:
    root = tmp_path / "digests"
    for rel, text in REPORTS.items():
        write_atomic(root / rel, text)
    return root


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# --------------------------------------------------------------------------- local folder


def test_upload_to_folder_keeps_layout_and_is_idempotent(out: Path, tmp_path: Path) -> None:
    dest = tmp_path / "published"
    files = [out / rel for rel in REPORTS]
    first = upload(files, out, str(dest))
    second = upload(files, out, str(dest))
    assert first == second == [f"{dest.as_posix()}/{rel}" for rel in sorted(REPORTS)]
    assert tree(dest) == {rel: text.encode() for rel, text in REPORTS.items()}


def test_upload_folder_argument_and_file_url(out: Path, tmp_path: Path) -> None:
    dest = tmp_path / "site copy"
    written = upload([out / "2026"], out, dest.as_uri())
    assert len(written) == 4
    assert tree(dest) == {rel: t.encode() for rel, t in REPORTS.items() if rel.startswith("2026")}


def test_upload_replaces_a_changed_report(out: Path, tmp_path: Path) -> None:
    dest = tmp_path / "published"
    report = out / "2026/01/daily_digest_2026-01-08.md"
    upload([report], out, str(dest))
    write_atomic(report, "# 2026-01-08, re-run\n")
    upload([report], out, str(dest))
    assert tree(dest) == {"2026/01/daily_digest_2026-01-08.md": b"# 2026-01-08, re-run\n"}


def test_upload_refuses_files_outside_root(out: Path, tmp_path: Path) -> None:
    stray = tmp_path / "elsewhere.md"
    stray.write_text("x")
    with pytest.raises(PublishError, match="not inside"):
        upload([stray], out, str(tmp_path / "dest"))
    with pytest.raises(PublishError, match="no such file"):
        upload([out / "2026/01/missing.md"], out, str(tmp_path / "dest"))


def test_upload_errors_are_one_line_publish_errors(out: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(PublishError) as caught:
        upload([out / "2026/01/daily_digest_2026-01-08.md"], out, str(blocker))
    message = str(caught.value)
    assert message.startswith("upload of 2026/01/daily_digest_2026-01-08.md to ")
    assert "\n" not in message and caught.value.exit_code == 4
    with pytest.raises(PublishError, match="cannot open nosuchproto://x"):
        upload([], out, "nosuchproto://x/y", {"token": SECRET})


def test_display_url_and_redaction() -> None:
    assert display_url(f"s3://AKIA:{SECRET}@bucket/prefix?token={SECRET}") == "s3://bucket/prefix"
    assert display_url("http://u:p@minio:9000/x#f") == "http://minio:9000/x"
    assert display_url("/srv/digests") == "/srv/digests"
    assert display_url("file:///srv/digests") == "file:///srv/digests"
    assert display_url("s3://") == "s3://"


# --------------------------------------------------------------------------- S3 (moto server)


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server_mod = pytest.importorskip("moto.server", reason="needs moto[server] (pip install)")
    pytest.importorskip("s3fs", reason="needs s3fs (the s3 extra)")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, dict[str, Any]]]:
    """A boto3 client on the moto server, a fresh bucket "reports", and s3fs storage options."""
    import boto3

    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = boto3.client(
        "s3",
        endpoint_url=moto_url,
        aws_access_key_id="minio-user",
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
    )
    client.create_bucket(Bucket="reports")
    options = {
        "key": "minio-user",
        "secret": SECRET,
        "endpoint_url": moto_url,
        "client_kwargs": {"region_name": "us-east-1"},
        "skip_instance_cache": True,
    }
    try:
        yield client, options
    finally:
        listed = client.list_objects_v2(Bucket="reports").get("Contents", [])
        for item in listed:
            client.delete_object(Bucket="reports", Key=item["Key"])
        client.delete_bucket(Bucket="reports")
        client.close()


def objects(client: Any) -> dict[str, dict[str, Any]]:
    listed = client.list_objects_v2(Bucket="reports").get("Contents", [])
    return {item["Key"]: item for item in listed}


def test_s3_upload_twice_leaves_one_object_per_report(out: Path, s3: tuple[Any, dict]) -> None:
    client, options = s3
    files = [out / rel for rel in REPORTS]
    first = upload(files, out, "s3://reports/daily", options)
    second = upload(files, out, "s3://reports/daily/", options)
    assert first == second == [f"reports/daily/{rel}" for rel in sorted(REPORTS)]
    stored = objects(client)
    assert sorted(stored) == [f"daily/{rel}" for rel in sorted(REPORTS)]
    for rel, text in REPORTS.items():
        body = client.get_object(Bucket="reports", Key=f"daily/{rel}")
        assert body["Body"].read() == text.encode()
        assert stored[f"daily/{rel}"]["ETag"].strip('"') == hashlib.md5(text.encode()).hexdigest()
    html = client.head_object(Bucket="reports", Key="daily/2026/01/daily_digest_2026-01-08.html")
    assert html["ContentType"].startswith("text/html")


def test_s3_upload_to_bucket_root(out: Path, s3: tuple[Any, dict]) -> None:
    client, options = s3
    upload([out / "2026"], out, "s3://reports", options)
    upload([out / "2026"], out, "s3://reports", options)
    assert sorted(objects(client)) == sorted(rel for rel in REPORTS if rel.startswith("2026/"))


def test_s3_missing_bucket_is_a_clean_publish_error(out: Path, s3: tuple[Any, dict]) -> None:
    _, options = s3
    with pytest.raises(PublishError) as caught:
        upload([out / "2026/01/daily_digest_2026-01-08.md"], out, "s3://no-such-bucket/x", options)
    message = str(caught.value)
    assert message.startswith("upload of 2026/01/daily_digest_2026-01-08.md to s3://no-such-bucket")
    assert SECRET not in message and "minio-user" not in message and "\n" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def test_run_publishes_reports_and_site_to_s3_with_an_endpoint_setting(
    s3: tuple[Any, dict], moto_url: str, fake_server, corpus, tmp_path, monkeypatch
) -> None:
    from datetime import date

    from dailypapers.config import load_settings
    from dailypapers.pipeline import publish_result, run_day

    client, _ = s3
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "minio-user")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    fake_server.serve_corpus_day(corpus, "2026-01-02")
    settings = load_settings(
        hf_endpoint=fake_server.url,
        arxiv_endpoint=fake_server.url,
        no_llm=True,
        limit=2,
        data_dir=tmp_path / "data",
        out=tmp_path / "out",
        formats=["md", "json", "html"],
        publish=["s3://reports/daily"],
        s3_endpoint_url=moto_url,
    )
    result = await run_day(date(2026, 1, 2), settings)
    await publish_result(result, settings)
    await publish_result(result, settings)  # idempotent
    keys = set(objects(client))
    assert {
        "daily/2026/01/daily_digest_2026-01-02.md",
        "daily/2026/01/daily_digest_2026-01-02.json",
        "daily/2026/01/daily_digest_2026-01-02.html",
        "daily/index.html",
        "daily/feed.xml",
        "daily/static/style.css",
    } <= keys
    assert len(keys) == len(set(keys))
