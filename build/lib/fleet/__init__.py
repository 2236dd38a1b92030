"""fleet: keep a region's school sites converged from one registry."""

__version__ = "0.1.0"
