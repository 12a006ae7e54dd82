"""What `init` installed, found again: `status`, `rotate` and `remove`."""
