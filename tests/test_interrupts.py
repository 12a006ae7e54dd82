"""bootstrap/interrupts.py: a Ctrl-C Python dropped still stops the act phase, and an undo runs
to its end whatever is pressed meanwhile."""

from __future__ import annotations

import os
import signal

import pytest

from bootstrap import interrupts
from bootstrap.undo import Undo


def test_a_ctrl_c_swallowed_where_python_drops_it_is_raised_at_the_next_checkpoint() -> None:
    with interrupts.noted():
        try:  # as a garbage-collection callback would swallow it
            os.kill(os.getpid(), signal.SIGINT)
            signal.pthread_sigmask(signal.SIG_BLOCK, [])  # lets the handler run here
        except KeyboardInterrupt:
            pass
        with pytest.raises(KeyboardInterrupt):
            interrupts.checkpoint()
    interrupts.checkpoint()  # outside the act phase: nothing pending


def test_an_undo_runs_every_reversal_even_when_ctrl_c_comes_in_the_middle() -> None:
    reversed_ = []
    undo = Undo()
    undo.push(lambda: reversed_.append("key"))
    undo.push(lambda: (os.kill(os.getpid(), signal.SIGINT), reversed_.append("config")))
    undo.run()
    assert reversed_ == ["config", "key"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
