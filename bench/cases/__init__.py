"""Each benchmark is a function (env) -> list[Row]; raw figures go into env.raw[name]."""
from .loading import loading
from .memory import memory
from .mpr import mpr
from .responsiveness import responsiveness
from .startup import startup
from .window import window

CASES = {"startup": startup, "loading": loading, "window": window, "responsiveness": responsiveness,
         "memory": memory, "mpr": mpr}
