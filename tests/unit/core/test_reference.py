from __future__ import annotations

import pytest

from wharf.core.errors import InvalidParameter
from wharf.core.reference import parse_reference, validate_tag

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "full", "familiar"),
    [
        ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
        ("user/app", "docker.io/user/app:latest", "user/app:latest"),
        ("index.docker.io/foo", "docker.io/library/foo:latest", "foo:latest"),
        ("docker.io/library/x:1", "docker.io/library/x:1", "x:1"),
        ("localhost:5000/a/b:t", "localhost:5000/a/b:t", "localhost:5000/a/b:t"),
        ("localhost/a", "localhost/a:latest", "localhost/a:latest"),
        ("quay.io/x/y", "quay.io/x/y:latest", "quay.io/x/y:latest"),
        (f"x@{DIGEST}", f"docker.io/library/x@{DIGEST}", f"x@{DIGEST}"),
        (f"x:t@{DIGEST}", f"docker.io/library/x:t@{DIGEST}", f"x:t@{DIGEST}"),
        ("a-b__c.d/e", "a-b__c.d/e:latest", "a-b__c.d/e:latest"),
    ],
)
def test_normalizes(text: str, full: str, familiar: str) -> None:
    ref = parse_reference(text).with_default_tag()
    assert str(ref) == full
    assert ref.familiar() == familiar


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "invalid reference format"),
        ("a:b:c", "invalid reference format"),
        ("-x", "invalid reference format"),
        ("x:", "invalid reference format"),
        ("x/", "invalid reference format"),
        ("x@sha256:zz", "invalid reference format"),
        (
            "Busybox",
            "invalid reference format: repository name (library/Busybox) must be lowercase",
        ),
        ("a" * 64, "cannot specify 64-byte hexadecimal strings"),
        ("x/" + "a" * 300, "must not be more than 255 characters"),
    ],
)
def test_rejects(text: str, message: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        parse_reference(text)
    assert message in str(info.value)


def test_tag_grammar() -> None:
    validate_tag("v1.2-rc_3")
    for bad in ("", ".x", "a" * 129, "x/y"):
        with pytest.raises(InvalidParameter):
            validate_tag(bad)
