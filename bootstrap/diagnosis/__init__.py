"""What git, ssh and IAM said, plus what we know, turned into a cause and a fix.

`rules` and `denies` are pure; `evidence` gathers, read-only, what a failure calls for."""
