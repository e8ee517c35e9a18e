"""Hostile and broken inputs for the ``restorable`` CLI (issue 13): ``cases`` builds them, ``driver`` runs them."""
