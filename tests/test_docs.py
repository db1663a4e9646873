"""Examples in the docs run as tests: the ``>>>`` examples of the public API's docstrings."""

import doctest

import pytest

import forecaster.api

pytestmark = pytest.mark.slow


def test_api_docstring_examples():
    result = doctest.testmod(forecaster.api, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
