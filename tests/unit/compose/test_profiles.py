from wharf.compose.model_service import Service
from wharf.compose.profiles import active_services, parse_profiles_env

SERVICES = {
    "web": Service("web", image="x"),
    "debug": Service("debug", image="x", profiles=["dev"]),
    "bench": Service("bench", image="x", profiles=["perf", "dev"]),
    "mon": Service("mon", image="x", profiles=["ops"]),
}


def test_profiles() -> None:
    assert active_services(SERVICES, []) == ["web"]
    assert active_services(SERVICES, ["dev"]) == ["bench", "debug", "web"]
    assert active_services(SERVICES, ["*"]) == ["bench", "debug", "mon", "web"]


def test_env() -> None:
    assert parse_profiles_env(" a, b ,,") == ["a", "b"]
    assert parse_profiles_env(None) == []
