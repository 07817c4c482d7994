"""The LogConfig a container gets: wharf's rotation defaults, the daemon's log-opts, its own."""

from __future__ import annotations

from wharf.core.logopts import DEFAULT_LOG_OPTS, effective_log_config, log_rotation


def test_layers_in_order() -> None:
    assert effective_log_config({}, {}) == {"Type": "json-file", "Config": DEFAULT_LOG_OPTS}
    daemon = {"max-size": "10m"}
    assert effective_log_config({"Type": "json-file"}, daemon)["Config"] == {
        "max-size": "10m", "max-file": "5"}
    own = effective_log_config({"Config": {"max-file": "2"}}, daemon)
    assert own["Config"] == {"max-size": "10m", "max-file": "2"}
    rotation = log_rotation(own["Config"])  # type: ignore[arg-type]
    assert (rotation.max_size, rotation.max_files) == (10_000_000, 2)


def test_other_drivers_keep_their_options_only() -> None:
    assert effective_log_config({"Type": "none", "Config": {"a": "b"}}, {"max-size": "1m"}) == {
        "Type": "none", "Config": {"a": "b"}}
