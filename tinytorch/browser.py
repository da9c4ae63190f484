"""What running in the browser (Pyodide, in JupyterLite) needs from the package, and nothing else.

matplotlib keeps its list of fonts in a file next to its code. In the browser that file system lives in
memory, so every new kernel builds the list again (about a second) and matplotlib announces it with a
warning on stderr, which JupyterLite shows in a red box that looks like an error. The notice is dropped
there; every other matplotlib message still shows.
"""
import logging
import sys

FONT_CACHE_NOTICE = "Matplotlib is building the font cache"


def _not_the_font_cache_notice(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith(FONT_CACHE_NOTICE)


def quiet_font_cache_notice() -> None:
    """In Pyodide, drop matplotlib's font-cache notice (it must run before matplotlib is first imported)."""
    if sys.platform == "emscripten":
        logging.getLogger("matplotlib.font_manager").addFilter(_not_the_font_cache_notice)
