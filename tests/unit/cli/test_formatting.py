from __future__ import annotations

import time
from typing import Any

import pytest

from wharf.cli.formatting import align, ellipsis, human_duration, human_size, render, truncate_id
from wharf.cli.references import split_repo_tag
from wharf.cli.rows import (
    IMAGES_HEADERS,
    IMAGES_TABLE,
    PS_HEADERS,
    PS_TABLE,
    ContainerRow,
    format_ports,
    image_rows,
)


@pytest.mark.parametrize(("size", "text"), [
    (0, "0B"), (999, "999B"), (1000, "1kB"), (1536, "1.54kB"), (4_261_000, "4.26MB"),
    (123_456_789, "123MB"), (2_000_000_000, "2GB"),
])
def test_human_size_is_decimal_with_three_digits(size: int, text: str) -> None:
    assert human_size(size) == text


@pytest.mark.parametrize(("seconds", "text"), [
    (0.5, "Less than a second"), (1, "1 second"), (42, "42 seconds"), (61, "About a minute"),
    (150, "2 minutes"), (3600, "About an hour"), (7200, "2 hours"), (3 * 86400, "3 days"),
    (20 * 86400, "2 weeks"), (90 * 86400, "3 months"), (800 * 86400, "2 years"),
])
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_ids_and_ellipsis() -> None:
    assert truncate_id("sha256:0123456789abcdef") == "0123456789ab"
    assert truncate_id("0123456789abcdef") == "0123456789ab"
    assert ellipsis("sleep 1000000000000000", 20) == "sleep 1000000000000…"
    assert ellipsis("short", 20) == "short"


def test_align_like_tabwriter() -> None:
    assert align(["A\tBB\tC", "AAAAAAAAAAAA\tB\tC"]) == [
        "A              BB        C",
        "AAAAAAAAAAAA   B         C",
    ]


def test_ps_table() -> None:
    now = time.time()
    container = {"Id": "4f1d2b3c4d5e6f708192a3b4c5d6e7f8", "Image": "busybox",
                 "Command": "sleep 1000000000000000", "Created": now - 150,
                 "Status": "Up 2 minutes", "Names": ["/web"], "State": "running",
                 "Ports": [{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080,
                            "Type": "tcp"}, {"PrivatePort": 53, "Type": "udp"}]}
    lines = render("", PS_TABLE, [ContainerRow(container)], PS_HEADERS)
    assert lines[0].split() == ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS",
                                "PORTS", "NAMES"]
    assert lines[0].startswith("CONTAINER ID   IMAGE     COMMAND ")
    assert lines[1].startswith("4f1d2b3c4d5e   busybox   \"sleep 1000000000000…\"   2 minutes "
                               "ago   Up 2 minutes   ")
    assert lines[1].endswith("53/udp, 0.0.0.0:8080->80/tcp   web")


def test_ps_custom_formats() -> None:
    row = ContainerRow({"Id": "abcdef0123456789", "Names": ["/a"], "Labels": {"k": "v"}})
    assert render("{{.ID}}: {{.Names}}", PS_TABLE, [row], PS_HEADERS) == ["abcdef012345: a"]
    assert render('{{.Label "k"}}|{{.Label "nope"}}', PS_TABLE, [row], PS_HEADERS) == ["v|"]
    assert render("table {{.Names}}\\t{{.Labels}}", PS_TABLE, [row], PS_HEADERS) == [
        "NAMES     LABELS", "a         k=v"]
    json_line = render("json", PS_TABLE, [row], PS_HEADERS)[0]
    assert json_line.startswith('{"Command":"\\"\\"","CreatedAt":')
    assert '"Names":"a"' in json_line and '"ID":"abcdef012345"' in json_line


def test_ports_ipv6_and_dedup() -> None:
    ports = [{"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
             {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"}]
    assert format_ports(ports) == "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"


def test_images_rows_and_table() -> None:
    created = time.time() - 3 * 86400
    images: list[dict[str, Any]] = [
        {"Id": "sha256:" + "ab" * 32, "RepoTags": ["busybox:latest", "bb:1"],
         "RepoDigests": [], "Created": created, "Size": 4_261_000},
        {"Id": "sha256:" + "cd" * 32, "RepoTags": None, "Created": created, "Size": 0}]
    rows = image_rows(images)
    assert [(r.Repository(), r.Tag()) for r in rows] == [
        ("busybox", "latest"), ("bb", "1"), ("<none>", "<none>")]
    lines = render("", IMAGES_TABLE, rows, IMAGES_HEADERS)
    assert lines[0] == "REPOSITORY   TAG       IMAGE ID       CREATED      SIZE"
    assert lines[1] == "busybox      latest    abababababab   3 days ago   4.26MB"


def test_split_repo_tag() -> None:
    assert split_repo_tag("localhost:5000/x:1.0") == ("localhost:5000/x", "1.0")
    assert split_repo_tag("localhost:5000/x") == ("localhost:5000/x", "<none>")
    assert split_repo_tag("busybox") == ("busybox", "<none>")
