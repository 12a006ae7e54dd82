"""Everything ssh: the managed block (pure text), keys, host keys, known_hosts, and the
ssh client itself, asked what a config means."""
