"""Guards every Python subprocess a test starts (the test session puts this folder first on PYTHONPATH).

Loads tests/utils/netguard.py by path: a subprocess may run from any folder and must not import `tests`.
"""

import importlib.util
import os

_path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "netguard.py")
_spec = importlib.util.spec_from_file_location("_spbe_netguard", _path)
if _spec is not None and _spec.loader is not None:
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
    _module.install()
