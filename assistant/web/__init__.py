"""The web app shell: a Gradio UI over :func:`assistant.factory.build_assistant`.

``build_ui(assistant)`` returns the Blocks app, ``launch_options(settings)`` the hardened
launch arguments and ``prepare(assistant)`` brings the index up to date and loads the models.
Modules: one per tab (``chat``, ``assess``, ``library``, ``about``), ``api`` for the named
endpoints, ``present`` for escaping and highlighting, ``access`` for login and upload rules.
"""

from assistant.web.startup import prepare
from assistant.web.ui import build_ui, launch_options

__all__ = ["build_ui", "launch_options", "prepare"]
