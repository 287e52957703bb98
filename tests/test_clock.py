"""The SimPy clock (sim.model): one `ClockEvent` per people event and per month end, no
process and no timeout, and the numbers of a clock process with a timeout of its own after
each people event and people events as timeouts with their action as a callback."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from sim.model import HIRE, MONTH_END, ClockEvent, Model
from sim.plan import MONTH_DAYS, Plan
from tests.factories import SELLER, plan, stress_plan


class OwnTimeouts(Model):
    """The clock as a SimPy process, the plainest way: people events are timeouts with their
    action as a callback, and the process takes a timeout of its own to each time a people
    event is due and to each month's end."""

    def simulate(self) -> None:
        self.env.run(until=self.env.process(self._clock()))

    def _at(self, day, kind, head):
        env = self.env
        event = env.timeout(max(0.0, day - env.now))
        event.callbacks.append(lambda _event: self._act(kind, head))

    def _act(self, kind, head) -> None:
        self.now = self.env.now
        if kind == HIRE:
            self._hire(head)
        else:
            self._departure(head)

    def _clock(self):  # a SimPy process
        env, pipeline = self.env, self.pipeline
        for month in range(-self.plan.warm_months, self.plan.months):
            start = month * MONTH_DAYS
            end = start + MONTH_DAYS
            self._start_month(month, start, end)
            if month == -self.plan.warm_months and self.plan.open_pipeline:
                self._open_pipeline(start)
            elif month == 0 and self.plan.state is not None:
                self._open_state()
            while True:
                until = min(end, env.peek())
                pipeline.work_until(until)
                if until >= end:
                    break
                yield env.timeout(until - env.now)
            yield env.timeout(end - env.now)
            self._end_month(month, start, end)


def at_once() -> Plan:
    """Requisitions that fill at once (people events at the same time as the one that opens
    them), planned hires and exits, backfilled departures and no capacity limit."""
    return plan(roles={"ae": dict(SELLER, attrition=0.8, backfill=True, ramp=[0.5, 1.0])},
                hiring=[{"role": "ae", "count": 3, "month": "2027-02"},
                        {"role": "ae", "count": -2, "month": "2027-05"}])


@pytest.mark.parametrize("make", [stress_plan, at_once])
def test_the_numbers_are_those_of_a_clock_with_timeouts_of_its_own(make) -> None:
    p = make()
    for replication in range(3):
        ours, theirs = Model(p, replication).run(), OwnTimeouts(p, replication).run()
        assert np.array_equal(ours.raw, theirs.raw)
        assert ours.sellers == theirs.sellers


def test_the_only_events_are_people_events_and_month_ends(monkeypatch) -> None:
    scheduled, people = [], []
    schedule = simpy.Environment.schedule

    def counting_schedule(env, event, *args, **kwargs):
        scheduled.append(event)
        return schedule(env, event, *args, **kwargs)

    class CountingAt(Model):  # Model is an extension type when compiled: no monkeypatching
        def _at(self, day, kind, head):
            if kind != MONTH_END:
                people.append((day, kind, head))
            return super()._at(day, kind, head)

    monkeypatch.setattr(simpy.Environment, "schedule", counting_schedule)
    p = stress_plan()
    model = CountingAt(p, 0)
    model.run()
    assert len(people) > 10
    clock_events = [e for e in scheduled if isinstance(e, ClockEvent)]
    assert len(clock_events) == p.warm_months + p.months + len(people)
    others = [e for e in scheduled if not isinstance(e, ClockEvent)]
    assert others and all(e is model.done for e in others)  # the last month's end: stop


def test_a_finished_model_is_freed_by_reference_counting() -> None:
    """The events left on SimPy's clock after the horizon (SimPy's environment is a cycle,
    freed only by the collector) do not keep their model alive: dropping it frees it."""
    import gc

    from sim.api import load
    from sim.plan import compile_plan

    hire5 = compile_plan(load("scenarios/hire5.yaml"))  # hires due after its horizon
    gc.collect()
    gc.disable()
    try:
        model = Model(hire5, 0)
        model.simulate()
        assert any(isinstance(o, ClockEvent) for o in gc.get_objects())  # events left over
        del model
        assert not any(isinstance(o, Model) for o in gc.get_objects())
    finally:
        gc.enable()
