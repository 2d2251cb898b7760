"""When Discord will not take a post: owed posts stay owed, in order, and are tried again
with a growing wait; a refusal for a missing permission is told to the facilitator once
an hour; a fault of ours is logged and does not block what comes after."""

from __future__ import annotations

import pytest

from bot.facilitation import RETRY_OWED_CAP, RETRY_OWED_FIRST, Facilitation
from bot.ports import DiscordUnavailableError, PostRefusedError, Store
from tests.fakes import FakeClock, ManualTimers, RecordingAnnouncer
from tests.unit.test_facilitation import MIN, start

REFUSED = PostRefusedError(("send_messages_in_threads",), 100)


def kinds(announcer: RecordingAnnouncer) -> list[str]:
    """Summaries and prompts posted (or tried) after the session's first prompt."""
    names = [n for n in announcer.names() if n in ("step_summary", "step_started")]
    return names[1:]


async def test_a_refused_summary_stays_owed_and_goes_out_in_order_once_allowed(
    facilitation: Facilitation,
    store: Store,
    announcer: RecordingAnnouncer,
    timers: ManualTimers,
    clock: FakeClock,
) -> None:
    session = await start(facilitation)
    announcer.raises["step_summary"] = REFUSED
    await facilitation.next_step(session.id)

    # The step moved on; the summary and the next prompt are still owed, in order.
    owed = await store.owed_announcements(session.id)
    assert [events[0]["type"] for _, events in owed] == ["StepEnded", "StepStarted"]
    assert kinds(announcer) == ["step_summary"]
    refused = announcer.of("post_refused")
    assert [call.args["missing"] for call in refused] == [("send_messages_in_threads",)]
    retry = timers.jobs[f"outbox:{session.id}"]
    assert retry.at == clock.now() + RETRY_OWED_FIRST

    # Still refused at the first retry: told no second time within the hour, waits longer.
    clock.advance(RETRY_OWED_FIRST)
    await timers.fire_due(clock.now())
    assert len(announcer.of("post_refused")) == 1
    assert timers.jobs[f"outbox:{session.id}"].at == clock.now() + 2 * RETRY_OWED_FIRST

    # The permission is back: both go out, in order, and nothing is owed any more.
    del announcer.raises["step_summary"]
    clock.advance(2 * RETRY_OWED_FIRST)
    await timers.fire_due(clock.now())
    assert kinds(announcer) == ["step_summary", "step_summary", "step_summary", "step_started"]
    assert await store.owed_announcements(session.id) == []


async def test_a_transition_while_posts_are_owed_posts_the_older_ones_first(
    facilitation: Facilitation, store: Store, announcer: RecordingAnnouncer
) -> None:
    session = await start(facilitation)
    announcer.raises["step_summary"] = DiscordUnavailableError("502")
    await facilitation.next_step(session.id)
    del announcer.raises["step_summary"]

    await facilitation.next_step(session.id)
    summaries = [call.args["summary"].step_index for call in announcer.of("step_summary")]
    # Step 0's summary (tried, owed), then 0 again and 1, each with the next prompt after it.
    assert summaries == [0, 0, 1]
    assert kinds(announcer) == [
        "step_summary",
        "step_summary",
        "step_started",
        "step_summary",
        "step_started",
    ]
    assert await store.owed_announcements(session.id) == []
    # Discord being unavailable is nothing the facilitator can fix.
    assert announcer.of("post_refused") == []


async def test_the_wait_between_tries_doubles_up_to_its_cap(
    facilitation: Facilitation,
    announcer: RecordingAnnouncer,
    timers: ManualTimers,
    clock: FakeClock,
) -> None:
    session = await start(facilitation)
    announcer.raises["step_summary"] = DiscordUnavailableError("storm")
    await facilitation.next_step(session.id)
    waits = []
    for _ in range(10):
        job = timers.jobs[f"outbox:{session.id}"]
        waits.append(job.at - clock.now())
        clock.set(job.at)
        await timers.fire(job)
    assert waits[:3] == [RETRY_OWED_FIRST, 2 * RETRY_OWED_FIRST, 4 * RETRY_OWED_FIRST]
    assert max(waits) == RETRY_OWED_CAP
    assert waits[-1] == RETRY_OWED_CAP


async def test_the_facilitator_hears_again_after_an_hour(
    facilitation: Facilitation,
    announcer: RecordingAnnouncer,
    timers: ManualTimers,
    clock: FakeClock,
) -> None:
    session = await start(facilitation)
    announcer.raises["step_summary"] = REFUSED
    await facilitation.next_step(session.id)
    clock.advance(61 * MIN)
    await timers.fire(timers.jobs[f"outbox:{session.id}"])
    assert len(announcer.of("post_refused")) == 2


async def test_a_fault_of_ours_is_not_retried_and_blocks_nothing(
    facilitation: Facilitation, store: Store, announcer: RecordingAnnouncer, timers: ManualTimers
) -> None:
    session = await start(facilitation)
    announcer.raises["step_summary"] = ValueError("a bug")
    await facilitation.next_step(session.id)
    assert kinds(announcer) == ["step_summary", "step_started"]
    assert await store.owed_announcements(session.id) == []
    assert f"outbox:{session.id}" not in timers.jobs


@pytest.mark.parametrize("error", [REFUSED, DiscordUnavailableError("down")])
async def test_owed_posts_survive_a_restart_and_go_out_at_start_up(
    store: Store,
    timers: ManualTimers,
    clock: FakeClock,
    error: Exception,
) -> None:
    from bot.facilitation import SessionDefaults
    from bot.template_files import load_templates
    from tests.unit.conftest import REMINDER_LEAD, RETENTION_DAYS

    def bot(announcer: RecordingAnnouncer) -> Facilitation:
        return Facilitation(
            store=store,
            timers=timers,
            announcer=announcer,
            clock=clock,
            templates=load_templates(),
            defaults=SessionDefaults(reminder_before=REMINDER_LEAD, retention_days=RETENTION_DAYS),
        )

    first = RecordingAnnouncer()
    session = await start(bot(first))
    first.raises["step_summary"] = error
    await bot(first).next_step(session.id)
    assert len(await store.owed_announcements(session.id)) == 2

    after_restart = RecordingAnnouncer()
    await bot(after_restart).rearm()
    assert after_restart.names()[:2] == ["step_summary", "step_started"]
    assert after_restart.of("step_summary")[0].args["summary"].step_index == 0
    assert await store.owed_announcements(session.id) == []
