"""The ``rlvr`` command line: the dispatcher (``main``) and the train, sweep and recipes sub-commands."""
