"""The data the layers pass each other: inputs, observations and the ``Context`` checks read; findings and codes."""
