from __future__ import annotations

from typing import Any

import pytest

from wharf.cli.template import Template, TemplateError

DATA: dict[str, Any] = {
    "Id": "3f4e8a",
    "Name": "/web",
    "State": {"Running": True, "Pid": 4242, "ExitCode": 0, "Paused": False},
    "Config": {"Env": ["A=1", "B=2"], "Labels": {"z": "last", "a": "first"}, "Cmd": None,
               "Tty": False},
    "NetworkSettings": {"Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}],
                                  "53/udp": None}},
    "Size": 1.5,
    "Big": 1e21,
    "Count": 3,
    "Empty": [],
    "Text": "Hello World",
}

CASES = [
    ("{{.Id}}", "3f4e8a"),
    ("{{.State.Running}}", "true"),
    ("{{.State.Paused}}", "false"),
    ("{{.State.Pid}}", "4242"),
    ("{{.Size}} {{.Big}}", "1.5 1e+21"),
    ("{{.Config.Env}}", "[A=1 B=2]"),
    ("{{.Config.Labels}}", "map[a:first z:last]"),
    ("{{.Config.Cmd}}", "<nil>"),
    ("{{.Nope}}", "<no value>"),
    ("{{json .Config.Labels}}", '{"a":"first","z":"last"}'),
    ("{{json .Config.Cmd}}", "null"),
    ('{{json "<&>"}}', '"\\u003c\\u0026\\u003e"'),
    ('{{index .Config.Labels "z"}}', "last"),
    ("{{index .Config.Env 1}}", "B=2"),
    ("{{range .Config.Env}}[{{.}}]{{end}}", "[A=1][B=2]"),
    ("{{range $i, $e := .Config.Env}}{{$i}}={{$e}};{{end}}", "0=A=1;1=B=2;"),
    ("{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}} {{end}}", "a:first z:last "),
    ("{{range .Empty}}x{{else}}none{{end}}", "none"),
    ("{{if .State.Running}}up{{else}}down{{end}}", "up"),
    ("{{if .State.Paused}}p{{else if .State.Running}}r{{else}}s{{end}}", "r"),
    ("{{if not .State.Paused}}ok{{end}}", "ok"),
    ('{{if eq .Name "/web"}}yes{{end}}', "yes"),
    ('{{if and .State.Running (eq .Count 3)}}both{{end}}', "both"),
    ("{{if or .Empty .Count}}some{{end}}", "some"),
    ("{{with .State}}{{.Pid}}{{end}}", "4242"),
    ("{{with .Empty}}x{{else}}empty{{end}}", "empty"),
    ("{{upper .Text}} {{lower .Text}}", "HELLO WORLD hello world"),
    ('{{join .Config.Env ","}}', "A=1,B=2"),
    ('{{split "a:b" ":"}}', "[a b]"),
    ("{{title \"hello\"}}", "Hello"),
    ("{{println .Id}}", "3f4e8a\n"),
    ("{{.Text | lower | upper}}", "HELLO WORLD"),
    ("{{len .Config.Env}}", "2"),
    ('{{printf "%s has %d" .Name .Count}}', "/web has 3"),
    ("{{truncate .Text 5}}", "Hello"),
    ("{{$name := .Name}}{{$name}}", "/web"),
    ("{{range .Config.Env}}{{$.Id}}{{end}}", "3f4e8a3f4e8a"),
    ('{{range $p, $b := .NetworkSettings.Ports}}{{if $b}}{{$p}}->{{(index $b 0).HostPort}}'
     "{{end}}{{end}}", "80/tcp->8080"),
    ("a  {{- .Id -}}  b", "a3f4e8ab"),
    ("{{/* a comment */}}x", "x"),
    ('{{"quoted\\tstring"}}', "quoted\tstring"),
    ("{{`raw`}}", "raw"),
]


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_renders_like_go(source: str, expected: str) -> None:
    assert Template(source).execute(DATA) == expected


class Row:
    def ID(self) -> str:
        return "abc"


def test_methods_of_objects_are_called() -> None:
    assert Template("{{.ID}}").execute(Row()) == "abc"


@pytest.mark.parametrize("source", [
    "{{if .Id}}x", "{{end}}", "{{.Id", "{{nofunc .Id}}", "{{.Id .Name}}", "{{$undefined}}",
    "{{.Missing.Deeper}}", "{{index .Config.Env 9}}",
])
def test_errors(source: str) -> None:
    with pytest.raises(TemplateError):
        Template(source).execute(DATA)
