"""An evaluation's states. Pure: no Django.

``scoring`` (started: members declare, read the bids and score) -> ``signing`` (the chair has
finished the report; every member signs it) -> ``finished`` (every member signed; the report is
received and pushed to the supervisor).
"""

from __future__ import annotations

SCORING = "scoring"
SIGNING = "signing"
FINISHED = "finished"

STATES = (SCORING, SIGNING, FINISHED)
