def error_of(response) -> dict:
    """The ``error`` object of the one API error shape (and proof that the shape is used)."""
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]
