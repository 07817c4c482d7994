"""Anonymous volumes carried over to the recreated container."""

from typing import Any

from wharf.compose.anonymous import carry_anonymous

OLD = [
    {"Type": "volume", "Name": "a" * 64, "Destination": "/anon"},
    {"Type": "volume", "Name": "b" * 64, "Destination": "/image-volume"},
    {"Type": "volume", "Name": "p_data", "Destination": "/data"},
    {"Type": "bind", "Source": "/h", "Destination": "/src"},
    {"Type": "volume", "Name": "c" * 64, "Destination": "/now-bound"},
]


def test_reused_for_file_and_image_volumes_only() -> None:
    host: dict[str, Any] = {
        "Binds": ["/h2:/now-bound"],
        "Mounts": [{"Type": "volume", "Target": "/anon"},
                   {"Type": "volume", "Target": "/data", "Source": "p_data"}],
    }
    carry_anonymous(host, OLD, {"p_data"})
    assert host["Mounts"] == [
        {"Type": "volume", "Target": "/anon", "Source": "a" * 64},
        {"Type": "volume", "Target": "/data", "Source": "p_data"},
        {"Type": "volume", "Source": "b" * 64, "Target": "/image-volume"},
    ]


def test_nothing_to_carry() -> None:
    host: dict[str, Any] = {"Binds": []}
    carry_anonymous(host, [], set())
    assert host == {"Binds": []}
