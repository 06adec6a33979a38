"""Decode ahead: a bounded background thread that reads the next frames while the backend works.

OpenCV's decoding and the backends' native inference both release the GIL, so on two or more cores
the decode time of a frame hides behind the inference of the one before. Order, errors and early exits
are those of the wrapped iterator: items come in order, an exception is raised where it occurred, and
closing the result stops the thread and closes the source in the thread that reads it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

__all__ = ["prefetched"]

Item = TypeVar("Item")
_DONE = object()


def prefetched(items: Iterator[Item], depth: int = 3) -> Iterator[Item]:
    """``items``, read up to ``depth`` ahead by a daemon thread (depth bounds the frames held)."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(entry: object) -> bool:
        while not stop.is_set():
            try:
                buffer.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for item in items:
                if not offer((item, None)):
                    break
            else:
                offer((_DONE, None))
        except BaseException as error:  # handed to the consumer, raised there in order
            offer((_DONE, error))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator's cleanup (releasing the video) runs where it ran

    reader = threading.Thread(target=read, name="landmarkset-prefetch", daemon=True)
    reader.start()
    try:
        while True:
            item, error = buffer.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        reader.join()
