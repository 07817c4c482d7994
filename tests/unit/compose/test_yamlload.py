from wharf.compose.yamlload import load_yaml


def test_yaml12_scalars() -> None:
    doc = load_yaml(
        "ports: [22:22, 80:80]\nenv: {A: yes, B: no, C: on, D: true, E: False}\n"
        "n: [1, -2, 0x1f, 0755, 1.5, .5, 1e3, 1.0e+3, .inf]\nt: 2001-12-14\nnull_: ~\n"
    )
    assert doc["ports"] == ["22:22", "80:80"]
    assert doc["env"] == {"A": "yes", "B": "no", "C": "on", "D": True, "E": False}
    assert doc["n"][:6] == [1, -2, 31, 493, 1.5, 0.5]
    assert doc["n"][6] == 1000.0 and doc["n"][7] == 1000.0 and doc["n"][8] == float("inf")
    assert doc["null_"] is None
