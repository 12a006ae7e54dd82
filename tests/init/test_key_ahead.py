"""The new key, generated in a thread while init looks: written by the key step, only then."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

from init_answers import sample_answers

from bootstrap.init import key_ahead, setup_steps
from bootstrap.init.answers import InitAnswers
from bootstrap.results import CREATED
from bootstrap.ssh import keys
from bootstrap.undo import Undo


def answers_for(tmp_path: Path, **changes: object) -> InitAnswers:
    given: dict[str, object] = {"region": "eu-west-1", "user": "alice", "repo": None}
    given |= {"clone": False, "ssh_config_is_default": False}
    return sample_answers(tmp_path / "ssh", **(given | changes))


def test_the_key_step_writes_the_key_generated_ahead(tmp_path: Path) -> None:
    answers = answers_for(tmp_path)
    ahead = key_ahead.start_if_needed(answers)
    assert ahead is not None
    assert not answers.key_path.exists()  # nothing on disk until the key step
    pair, result = setup_steps.make_key(answers, None, Undo(), ahead)
    assert result.action == CREATED
    assert pair.public == ahead.result().public
    assert answers.key_path.read_bytes() == ahead.result().private_bytes
    assert stat.S_IMODE(answers.key_path.stat().st_mode) == 0o600


def test_an_early_key_is_used_only_if_it_is_the_one_asked_for(tmp_path: Path) -> None:
    answers = answers_for(tmp_path)
    early = key_ahead.start_for(answers.key_path, 2048, None, dry_run=False)
    assert key_ahead.start_if_needed(answers, early) is early
    bigger = replace(answers, key_bits=3072)  # the wizard asked, and got another size
    other = key_ahead.start_if_needed(bigger, early)
    assert other is not None and other is not early
    assert other.result().public.bits == 3072


def test_nothing_is_generated_for_a_dry_run_or_when_a_key_is_there(tmp_path: Path) -> None:
    answers = answers_for(tmp_path)
    assert key_ahead.start_if_needed(replace(answers, dry_run=True)) is None
    answers.key_path.parent.mkdir()
    keys.generate_pair(answers.key_path, 2048, None, "me@host")
    assert key_ahead.start_if_needed(answers) is None
    answers.key_path.unlink()  # a lone .pub is a key too: the key step explains it
    assert key_ahead.start_if_needed(answers) is None


def test_a_run_that_fails_early_waits_for_the_key_thread(tmp_path: Path) -> None:
    """An error before the key is ready must not end the process under the running thread
    (a daemon killed inside OpenSSL aborts it: exit 134). The process waits for it instead: the
    stand-in for the key generation still gets to write its mark, and the exit code is ours."""
    import subprocess
    import sys
    import textwrap

    mark = tmp_path / "generated"
    script = textwrap.dedent(
        f"""
        import threading
        import time
        from pathlib import Path
        from bootstrap.init import key_ahead
        from bootstrap.ssh import keys

        def slow_key(bits, passphrase, comment):
            # Still working when the early error has ended the main thread: only a join
            # lets this finish.
            deadline = time.monotonic() + 30
            while threading.main_thread().is_alive() and time.monotonic() < deadline:
                threading.Event().wait(0.01)
            ended = not threading.main_thread().is_alive()
            Path({str(mark)!r}).write_text("done" if ended else "main thread never ended")

        keys.new_key = slow_key
        key_ahead.KeyAhead(Path({str(tmp_path / "k")!r}), 2048, None, "c")
        raise SystemExit(3)  # an early error: the key is not ready yet
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 3, done.stderr
    assert mark.read_text() == "done"
