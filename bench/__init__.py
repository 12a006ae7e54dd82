"""`python -m bench` (`make bench`): how long `bootstrap init` takes against the manual path.

In one session, against one moto IAM server and one real sshd playing CodeCommit, it times
(a) `bootstrap init --yes` on a fresh home and a new IAM user, (b) the same command again
(nothing to change), and (c) the manual path: ssh-keygen, three aws CLI calls, the ssh config
block, git clone. It prints medians, the ratios a/c and b/c, and where the time goes, as a
markdown table for the README. Not part of `make test`: it takes minutes and measures time.
"""
