"""The book of business (sim/customers.py): its typed loops give numpy's numbers exactly.

The book keeps its customers in flat arrays and sums them with `pairwise_sum`, numpy's
summation order written out, so that the compiled core needs no numpy call per month; these
tests hold it to numpy bit for bit (both cores run them: the installed one here).
"""

from __future__ import annotations

from array import array

import numpy as np
import pytest

from sim.customers import Book, pairwise_sum
from sim.streams import CHURN, stream
from tests.factories import plan as make_plan


def bits(value: float) -> str:
    return float(value).hex()


@pytest.mark.parametrize("law", ["uniform", "lognormal"])
def test_pairwise_sum_is_numpys_sum_bit_for_bit(law: str) -> None:
    rng = np.random.default_rng(7)
    lengths = [*range(300), 383, 384, 385, 511, 512, 513, 1000, 4099, 8191, 8192, 8193,
               20_011, 65_537]
    for n in lengths:
        values = rng.random(n) * 3e4 if law == "uniform" else rng.lognormal(10.0, 2.0, n)
        assert bits(pairwise_sum(array("d", values), n)) == bits(values.sum()), n


def test_pairwise_sum_starts_where_told() -> None:
    values = np.random.default_rng(3).random(700)
    buffer = array("d", values)
    for start, n in ((0, 0), (5, 3), (9, 130), (100, 600)):
        assert bits(pairwise_sum(buffer, n, start)) == bits(values[start:start + n].sum())


def small_plan(count: int = 40, churn: float = 0.3, expansion: float = 0.2):
    return make_plan(customers={"count": count, "arr": 4_000_000, "churn": churn,
                                "expansion": expansion})


def test_month_end_is_the_vectorised_churn_and_expansion() -> None:
    """Churn, expansion and the book's state after a month end as the numpy formulas give
    them (the engine's earlier form), over a book that grew by won deals."""
    plan = small_plan()
    book = Book(plan, 4)
    rng = np.random.default_rng(11)
    for month in range(6):
        for size in rng.lognormal(10.0, 1.0, 30):
            book.add(float(size), month * 30.0 + 1.0, 0, month * 30.0 + 30.0)
        book.settle()
        n = book.n
        arr = np.array(book.arr[:n])
        alive = np.array(book.alive[:n], dtype=bool)
        u = stream(plan.seed, 4, CHURN, month).random(n)
        p_churn = (1.0 - (1.0 - plan.churn) ** (1.0 / 12.0)) * 1.5
        growth = ((1.0 + plan.expansion) ** (1.0 / 12.0) - 1.0) * 0.8
        churned = alive & (u < p_churn)
        kept = alive & ~churned
        expected = (float(arr[churned].sum()), int(churned.sum()),
                    float(arr[kept].sum() * growth))
        got = book.month_end(month, n, 1.5, 0.8, None)
        assert [bits(v) for v in got] == [bits(v) for v in expected]
        np.multiply(arr, 1.0 + growth, out=arr, where=kept)
        assert np.array(book.arr[:n]).tobytes() == arr.tobytes()
        assert np.array_equal(np.array(book.alive[:n], dtype=bool), kept)
        assert book.customers == int(kept.sum())
        book.mark()


def test_the_book_grows_past_its_first_arrays_and_keeps_every_customer() -> None:
    plan = small_plan(count=10)
    book = Book(plan, 0)
    first = len(book.arr)
    deals = [float(i + 1) for i in range(5 * first)]
    for k in range(0, len(deals), 37):  # settled in uneven batches
        for arr in deals[k:k + 37]:
            book.add(arr, 0.0, 0, 30.0)
        book.settle()
    assert len(book.arr) > first
    assert book.n == 10 + len(deals) == book.customers
    assert list(book.arr[10:book.n]) == deals
    assert list(book.alive[:book.n]) == [1] * book.n
    assert book.arr[0] == 4_000_000 / 10


def test_retention_sums_the_cohort_still_on_the_book() -> None:
    plan = small_plan(count=300, churn=0.5)
    book = Book(plan, 2)
    book.mark()
    for month in range(3):
        book.month_end(month, book.n, 1.0, 1.0, None)
        book.mark()
    n = book.n
    alive = np.array(book.alive[:n], dtype=bool)
    assert 0 < alive.sum() < n
    then, kept_then, now = book.retention(3)
    assert then == 4_000_000
    assert bits(now) == bits(np.array(book.arr[:n])[alive].sum())
    assert bits(kept_then) == bits(now * 1.0 / book.growth_index)


def test_the_loop_and_the_vector_operations_churn_alike() -> None:
    """`Book._churn_each` (the compiled core's loop) and `Book._churn_all` (the interpreted
    core's numpy) give the same numbers and leave the same book, month after month."""
    plan = small_plan(count=500, churn=0.4)
    books = Book(plan, 1), Book(plan, 1)
    for month in range(8):
        for book in books:
            for size in np.random.default_rng(month).lognormal(10.0, 1.0, 25).tolist():
                book.add(size, 1.0, 0, 30.0)
            book.settle()
        n = books[0].n
        u = stream(plan.seed, 1, CHURN, month).random(n)
        each = books[0]._churn_each(n, u, 0.05, 0.01)
        every = books[1]._churn_all(n, u, 0.05, 0.01)
        assert each[1] > 0
        assert [bits(v) for v in each] == [bits(v) for v in every]
        for name in ("arr", "alive", "segment"):
            assert bytes(getattr(books[0], name)) == bytes(getattr(books[1], name)), name
        assert books[0].per_segment == books[1].per_segment


def test_the_unchecked_loops_refuse_what_would_read_outside_the_columns() -> None:
    """The compiled core reads these without bounds checks: they check their range first."""
    from array import array
    values = array("d", [1.0] * 10)
    assert pairwise_sum(values, 10) == 10.0
    for n, start in ((11, 0), (5, 6), (-1, 0), (3, -1)):
        with pytest.raises(IndexError):
            pairwise_sum(values, n, start)
    book = Book(make_plan(), 0)
    with pytest.raises(ValueError, match="retention"):
        book.retention(-1)
