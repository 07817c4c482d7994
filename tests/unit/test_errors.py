from wharf.core.errors import Conflict, NotFound, WharfError, error_for_status


def test_error_for_status_maps_known_codes() -> None:
    err = error_for_status(404, "No such container: x")
    assert isinstance(err, NotFound)
    assert err.message == "No such container: x"
    assert isinstance(error_for_status(409, "busy"), Conflict)


def test_unknown_status_is_generic() -> None:
    err = error_for_status(418, "teapot")
    assert type(err) is WharfError
    assert err.status == 500
