"""Running one callable in several threads at once, as concurrent processes would: the errors they raised."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any


def in_threads(fn: Callable[..., Any], args: Sequence[tuple] = ((), ()), timeout: float = 60) -> list[BaseException]:
    """Start `fn(*a)` for each `a` in `args` (two calls without arguments by default), join them, and
    return what they raised: a test asserts the list is empty, so a failure inside a thread is not lost."""
    errors: list[BaseException] = []

    def run(*a: Any) -> None:
        try:
            fn(*a)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=a) for a in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return errors
