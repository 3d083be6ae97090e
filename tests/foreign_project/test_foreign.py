"""A foreign project's test suite: it knows nothing of livekit-session-fsm."""

import pytest


@pytest.fixture
def numbers() -> list[int]:
    return [1, 2, 3]


def test_its_own_fixture(numbers: list[int]) -> None:
    assert sum(numbers) == 6
