"""Start a re-run's access check (one git ls-remote) while `init` looks around.

A re-run that changes nothing checks access with `git ls-remote` instead of a clone, but that
is known only after the look (the identity, the key in IAM, the proof record). The check itself
needs nothing the look finds: the ssh config and key are the ones in place, and a re-run that
changes nothing uses them unchanged. So when the managed block is there, it is started at once
in a thread and overlaps the AWS calls; the act phase uses its answer only if the plan checks
exactly that URL through exactly that config, byte for byte, and runs its own otherwise.
Read-only, bounded (git's own bound), and never started when it could not be used: a dry run,
--retest, HTTPS, a key with a passphrase (the askpass program lives only as long as a
with-block), a clone it would not replace.
"""

from __future__ import annotations

import threading
from pathlib import Path

from bootstrap import files, git
from bootstrap.aws import endpoints
from bootstrap.errors import LocalFileError
from bootstrap.init import clone_step
from bootstrap.init.answers import InitAnswers
from bootstrap.ssh import client as ssh_client
from bootstrap.ssh import config_plan


class AccessAhead:
    def __init__(self, url: str, ssh_config: Path | None, config_text: str | None) -> None:
        self.url, self.ssh_config = url, ssh_config
        self.config_text = config_text  # as ssh read it: the plan's must be the same
        self._run: git.GitRun | None = None
        self._error: BaseException | None = None
        # A daemon: a run that ends before it is needed does not wait for it (git, under
        # setpriv --pdeathsig where there is setpriv, ends with us).
        self._thread = threading.Thread(target=self._check, daemon=True)
        self._thread.start()

    def _check(self) -> None:
        try:
            env = ssh_client.git_env(self.ssh_config)
            self._run = git.run_git(["ls-remote", "--quiet", self.url, "HEAD"], env, False)
        except BaseException as error:  # handed to the act phase, which reports it
            self._error = error

    def answer_for(
        self, url: str, ssh_config: Path | None, config_text: str | None
    ) -> git.GitRun | None:
        """git's answer, if this check is the one asked for, through the same config bytes
        (the plan read them under the lock; another run may have written in between). Else
        None: run it anew."""
        if (url, ssh_config, config_text) != (self.url, self.ssh_config, self.config_text):
            return None
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._run


def start(answers: InitAnswers) -> AccessAhead | None:
    """Start the check when a re-run over SSH would most likely end with it."""
    if answers.dry_run or answers.retest or answers.passphrase is not None:
        return None
    if answers.protocol == endpoints.HTTPS or answers.mfa:
        return None
    clone = clone_step.plan(answers, endpoints.resolve(answers.region))
    if clone is None or (clone.keep_in is not None and not clone.existing_clone):
        return None
    try:
        text = files.read_text_exact(answers.ssh_config)
    except (OSError, LocalFileError):
        return None  # the look says what is wrong with it
    if config_plan.key_id_in_block(text) is None or not answers.key_path.is_file():
        return None
    ssh_config = None if answers.ssh_config_is_default else answers.ssh_config
    return AccessAhead(clone.url, ssh_config, text)
