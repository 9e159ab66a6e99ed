"""The code that runs inside a Python function instance (and its zygote), stdlib only.

Every module here must run on each supported interpreter (python3.9 to python3.13) and import
nothing from Overcast: an instance loads this package under the private name `_overcast_runtime`
(see `boot.py`) so that a function's own modules (handler.py, context.py, ...) never collide.
"""

PRIVATE_NAME = "_overcast_runtime"
