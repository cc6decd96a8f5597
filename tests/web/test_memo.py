"""The page memo: values are reused until they expire, errors are not remembered."""

from __future__ import annotations

import pytest

from clusterhub.errors import NotFound
from clusterhub.web.memo import Memo


def test_values_are_built_once_and_expire() -> None:
    calls: list[int] = []
    memo = Memo(ttl=60)
    assert memo.get("k", lambda: calls.append(1) or "v") == "v"
    assert memo.get("k", lambda: calls.append(1) or "w") == "v"
    assert len(calls) == 1
    expired = Memo(ttl=0)
    expired.get("k", lambda: calls.append(1))
    expired.get("k", lambda: calls.append(1))
    assert len(calls) == 3


def test_errors_are_not_remembered_and_size_is_bounded() -> None:
    memo = Memo(ttl=60, size=2)

    def fail() -> str:
        raise NotFound("nope")

    with pytest.raises(NotFound):
        memo.get("bad", fail)
    assert memo.get("bad", lambda: "ok") == "ok"
    memo.get("a", lambda: 1)
    memo.get("b", lambda: 2)
    assert memo.get("bad", lambda: "rebuilt") == "rebuilt"  # evicted as least recently used
