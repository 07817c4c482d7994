"""``docker rmi`` knows which containers use an image: the daemon wires the containers table
into the image service (a real wharfd, root)."""

from __future__ import annotations

import json
import uuid

from tests.support.daemons import Daemon


def test_rmi_refuses_the_only_tag_of_an_image_a_container_uses(wharfd: Daemon) -> None:
    repo = f"in-use-{uuid.uuid4().hex[:8]}"
    wharfd.json("POST", f"/images/busybox/tag?repo={repo}&tag=v1")
    wharfd.json("DELETE", "/images/busybox:latest?noprune=1")  # the new tag is the only one left
    created = wharfd.json("POST", f"/containers/create?name={repo}", {"Image": f"{repo}:v1"})
    assert isinstance(created, dict)
    try:
        status, body = wharfd.request("DELETE", f"/images/{repo}:v1")
        assert status == 409, body
        message = json.loads(body)["message"]
        assert f"container {created['Id'][:12]} is using its referenced image" in message
    finally:
        wharfd.request("DELETE", f"/containers/{created['Id']}?force=1")
        wharfd.json("POST", f"/images/{repo}:v1/tag?repo=busybox&tag=latest")
        wharfd.request("DELETE", f"/images/{repo}:v1")
