"""Fixtures of the browser tests: one Playwright driver for the session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Playwright, async_playwright, expect

from tests.e2e.helpers import CHROMIUM


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def pw() -> AsyncIterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"the browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    expect.set_options(timeout=15_000)  # a slow machine runs the model beside Chromium
    async with async_playwright() as playwright:
        yield playwright


@pytest.fixture
def username(server: str) -> str:
    """The test clinician of ``server`` (provisioned by tests/conftest.py)."""
    return f"clinician-{server.rsplit(':', 1)[1]}"
