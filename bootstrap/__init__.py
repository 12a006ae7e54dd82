"""bootstrap: from AWS credentials to a working CodeCommit SSH clone in one command."""

__version__ = "0.1.0"
