"""The one error of /ogc/ query parsing, shared by the Part 1 and Part 2 (CRS) modules."""


class BadParameter(ValueError):
    """A query parameter the server cannot honour; answered with 400 and a JSON body."""
