"""``restorable serve``: a local web page to try effects, compare, restore and process folders.

Built on the library API alone (:class:`restorable.session.Session`): the app (:mod:`.app`) takes
uploads into a private folder (:mod:`.store`), runs the work off the request threads, one job at a
time per server so one network copy serves every tab (:mod:`.jobs`, bodies in :mod:`.work`), and
serves a page of plain HTML and JavaScript (``static/``). Needs the ``serve`` extra (Starlette, uvicorn).
"""

from restorable.serve.app import ServeConfig, create_app

__all__ = ["ServeConfig", "create_app"]
