"""The checks: pure functions of a ``Context``, one module per area; ``checks.run`` runs them all."""
