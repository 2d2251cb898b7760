"""The ``docker`` marker: tests that build and run the container image (slow, opt-in)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "docker: builds the container image; runs only with COCREATE_DOCKER_TESTS=1 and a "
        "working docker",
    )
