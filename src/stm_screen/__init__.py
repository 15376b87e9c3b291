"""stm-screen: a screening aid for whether a physical-therapy evaluation is worth considering."""

__version__ = "0.2.0"
