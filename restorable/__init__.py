"""restorable: photo effects whose original can be restored from the processed file alone."""

__version__ = "0.1.0"
