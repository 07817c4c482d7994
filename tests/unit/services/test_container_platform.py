"""``POST /containers/create?platform=``: the image must be of that platform."""

from __future__ import annotations

import pytest

from wharf.core.errors import InvalidParameter, NotFound
from wharf.services.container_platform import check_platform

AMD64 = {"os": "linux", "architecture": "amd64"}
ARM64 = {"os": "linux", "architecture": "arm64"}


@pytest.mark.parametrize(("config", "wanted"), [
    (AMD64, ""), (AMD64, "linux"), (AMD64, "linux/amd64"), (AMD64, "LINUX/AMD64"),
    (ARM64, "linux/arm64"), (ARM64, "linux/arm64/v8"),
])
def test_matching_platforms(config: dict[str, str], wanted: str) -> None:
    check_platform("img", config, wanted)


def test_another_platform_is_not_found() -> None:
    with pytest.raises(NotFound) as missing:
        check_platform("busybox", AMD64, "linux/arm64")
    assert missing.value.message == (
        "image with reference busybox was found but does not match the specified platform: "
        "wanted linux/arm64, actual: linux/amd64")
    with pytest.raises(NotFound):
        check_platform("busybox", ARM64, "linux/arm64/v7")


def test_a_malformed_platform_is_a_400() -> None:
    with pytest.raises(InvalidParameter):
        check_platform("busybox", AMD64, "linux//")
