from wharf.lib.goquote import go_quote


def test_go_quote_escapes_as_strconv_quote() -> None:
    assert go_quote('say "hi"\n') == '"say \\"hi\\"\\n"'
    assert go_quote("tab\there\x07\x7f") == '"tab\\there\\a\\x7f"'
    assert go_quote("\x01") == '"\\x01"'
    assert go_quote("\x85é") == '"\\u0085é"'  # C1 controls are \u00NN in Go, not \xNN
    assert go_quote("\U000e0001") == '"\\U000e0001"'
    assert go_quote("") == '""'
