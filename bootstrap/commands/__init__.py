"""The front doors: one module per command, flags -> a dataclass -> run() -> exit code.

The only package that reads argparse.Namespace; the flows below take dataclasses."""
