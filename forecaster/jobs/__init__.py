"""What each command does, callable from Python: a validated config in, a run folder out.

The CLI modules only parse arguments and import a job when it runs, so
``forecaster --help`` and config errors never wait for the Keras backend.
"""
