"""The ``forecaster`` command line; one module per command."""
