"""States of the expert pool and of committee seats. Pure: no Django."""

from __future__ import annotations

# Expert review
APPLIED = "applied"
APPROVED = "approved"
REJECTED = "rejected"
REVIEW_STATES = (APPLIED, APPROVED, REJECTED)

# Seats
INVITED = "invited"
CONFIRMED = "confirmed"
DECLINED = "declined"
EXPIRED = "expired"  # no answer within EXPERT_RESPONSE_MINUTES
SEAT_STATES = (INVITED, CONFIRMED, DECLINED, EXPIRED)
OPEN_SEATS = (INVITED, CONFIRMED)  # seats that count towards the need

# Draw rounds
PREPARED = "prepared"
MATERIALISED = "materialised"

# Committee
DRAWING = "drawing"
COMPLETE = "complete"

EXPERT = "expert"
REPRESENTATIVE = "representative"
