"""simrev: Monte Carlo simulation of a go-to-market team for revenue-capacity planning."""

__version__ = "0.1.0"
