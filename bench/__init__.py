"""`python -m bench` (`make bench`): how long `bootstrap init` takes against the manual path.

In one session, against one moto IAM server and one real sshd playing CodeCommit, it times
(a) `bootstrap init --yes` on a fresh home and a new IAM user, (b) the same command again
(nothing to change), and (c) the manual path: ssh-keygen, three aws CLI calls, the ssh config
block, git clone. Then the git credential helper, `bootstrap git-credential get`, against the
AWS CLI's `aws codecommit credential-helper get`, as whole processes. It prints medians, the
ratios a/c, b/c and the helpers', and where the time goes, as markdown for the README. Not part
of `make test`: it takes minutes and measures time.
"""
