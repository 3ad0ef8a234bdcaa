"""Guards every Python subprocess a test starts (the test session puts this folder first on PYTHONPATH).

Runs tests/utils/netguard.py by path: a subprocess may run from any folder and must not import `tests`;
plain exec rather than importlib.util, which would add ~8 ms to the start of every process.
"""

import os

_path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "netguard.py")
_guard = {"__name__": "_spbe_netguard", "__file__": _path}
with open(_path, encoding="utf-8") as _source:
    exec(compile(_source.read(), _path, "exec"), _guard)
_guard["install"]()
