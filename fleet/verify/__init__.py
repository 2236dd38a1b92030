"""`fleet verify`: read-only acceptance checks of a live site and its handover report."""
