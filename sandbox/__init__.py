"""Test sandbox for `bootstrap`: a fake AWS account and a fake CodeCommit, all on 127.0.0.1.

Not shipped with the tool (pyproject packages only `bootstrap`); used by `tests/` and `make demo`.

- `iam.MotoIam`: a moto server playing IAM and STS (the tool reaches it via AWS_ENDPOINT_URL).
- `userdb`: an LD_PRELOAD shim so the real `ssh`/`git` take a temp dir as the account's home,
  and so a real `sshd` accepts CodeCommit key ids (APKA...) as login names.
- `sshd.OpenSshCodeCommit`: a real OpenSSH sshd playing git-codecommit.REGION.amazonaws.com.
- `paramiko_server.ParamikoCodeCommit`: the same interface, in-process, no root or sshd needed.
- `gitaccess` + `iam_policy`: CodeCommit's access check (IAM policies, KMS) and its messages,
  shared by both servers; `codecommit` is the sshd forced command, `authorized_keys` its
  AuthorizedKeysCommand.
- `case.SandboxCase`: one test's world (temp home, IAM user, env, helpers);
  `pool.ServerPool` starts doubles per (kind, region) on demand.
- `policies`: the field report's MFA policy, its half fix, its fix, and a narrower fix.
- `demo`: `make demo`, the tool end to end against moto + the paramiko double.

Nothing here contacts real AWS or touches the real ~/.ssh or ~/.aws.
"""
