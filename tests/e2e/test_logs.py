"""What people write and the bot's token never reach the log at INFO level or above: the
log is what admins paste into bug reports."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from tests.e2e.conftest import Harness
from tests.e2e.test_session_flow import open_session

SECRET = "Geheimpje-7f3a"


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Everything logged at INFO or above, as formatted, with tracebacks."""
    handler = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(
        handler.format(record) for record in caplog.records if record.levelno >= logging.INFO
    )


async def test_note_texts_and_the_token_stay_out_of_the_log(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    h = harness
    await h.start()
    thread = await open_session(h)
    first = await h.say(thread, h.alice, f"{SECRET} een leeshoek")
    await h.sb.user_message(thread, h.bob, f"{SECRET} reactie", reply_to=int(first["id"]))
    await h.command(h.carol, "note", channel=thread, text=f"{SECRET} via het commando")
    await h.sb.edit_user_message(thread, int(first["id"]), f"{SECRET} bewerkt")
    mark = h.mark()
    await h.advance(timedelta(minutes=16))
    await h.wait_for_post(thread, "Samenvatting Inleven", since=mark)
    await h.command(h.facilitator, "session", "end", channel=thread)

    text = logged(caplog)
    assert "connected as" in text, "the log was captured"
    assert SECRET not in text
    assert h.sb.token not in text
