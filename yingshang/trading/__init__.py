"""Public-resource trading: one Django app per context (projects, and later bids, opening, ...)."""
