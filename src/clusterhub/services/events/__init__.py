"""Matchmaking events (issue 13, decision 0008): ``events`` (create, edit, admins, status),
``slots`` (the numbered slots of the sessions), ``registration``, ``requests`` (send, answer,
withdraw, expire), ``meetings`` (the organiser's meetings and rules) and ``agenda`` (schedule
runs in one transaction, a participant's agenda). Faces call these functions; ``access``
holds the rights they share.
"""
