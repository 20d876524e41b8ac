"""The one list of exercises: teaching order, titles, hints, and every graded check with its points.

Everything else reads this module: the grader (what to run and how many points it is worth), the
README's table (``python -m grader.catalog`` prints it), the student edition (which suites ship)
and the kit's own tests. Nothing repeats it.

A *check* is one pytest test function in ``grader/suites/<tier>/test_<exercise>.py``. Its tier
says who runs it:

- ``visible``: functional checks, one thread at a time; shipped to students.
- ``practice``: stress checks under the same forced preemption as the hidden ones, with fewer
  runs and smaller sizes; shipped, so that a racy submission loses points where the student works
  (with the interleaving timeline and ``--replay``).
- ``hidden``: the instructor's stress checks (other sizes, scenarios, more runs); never shipped.

A check with ``runs > 1`` is repeated with pytest-repeat and earns its points only if every
repetition passes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.budgets import PROCESS_RUN_TIMEOUT, RUN_TIMEOUT, SLOW_PROCESS_RUN_TIMEOUT

SUITES = Path(__file__).resolve().parent / "suites"


class Tier(str, enum.Enum):
    """Who runs a check; its value is the suite folder under grader/suites/."""

    VISIBLE = "visible"
    PRACTICE = "practice"
    HIDDEN = "hidden"

    @property
    def shipped(self) -> bool:
        """True for the tiers whose suites ship in the student edition."""
        return self is not Tier.HIDDEN

    @property
    def stress(self) -> bool:
        """True for the tiers that hammer the submission with threads under forced preemption."""
        return self is not Tier.VISIBLE


VISIBLE, PRACTICE, HIDDEN = Tier.VISIBLE, Tier.PRACTICE, Tier.HIDDEN


@dataclass(frozen=True)
class Check:
    """One graded pytest test of an exercise."""

    test: str  # the pytest function name in the exercise's suite file
    title: str  # what a student reads in the score table, e.g. "no lost updates under stress"
    points: float
    tier: Tier = VISIBLE  # the suite folder it lives in: visible/, practice/ or hidden/
    runs: int = 1  # repetitions (pytest-repeat); all must pass for the points
    # Seconds per repetition before the test is reported as a timeout: the backstop. Suites detect
    # hangs themselves sooner (grader.budgets: LONG_TIMEOUT and others) and say which call hung.
    timeout: float = RUN_TIMEOUT
    # Shown instead of the exercise's hint when this check fails, where that hint would point at
    # the wrong place (a validation check under a hint about locks; a check that runs increment
    # beside reset, under a hint that names only reset).
    hint: str = ""

    @property
    def hidden(self) -> bool:
        """Instructor-only: never shipped (Gradescope shows it after the due date)."""
        return self.tier is HIDDEN

    @property
    def stress(self) -> bool:
        """A stress check (practice or hidden): a failure leads to the interleaving search."""
        return self.tier.stress


@dataclass(frozen=True)
class Exercise:
    """One stub module the student completes."""

    name: str  # module name without .py, as pinned in SPEC
    title: str
    hint: str  # shown when the student loses points; multi-line is fine
    checks: tuple[Check, ...]
    # `python -m grader hint NAME` shows the hint in steps: ``hint`` first, then these, one more
    # each time it is asked, from the idea towards the code (never the whole solution).
    more_hints: tuple[str, ...] = ()

    @property
    def max_score(self) -> float:
        return sum(check.points for check in self.checks)

    @property
    def filename(self) -> str:
        return f"{self.name}.py"

    def hint_for(self, failed: Iterable[str]) -> str:
        """The hint for a grading whose checks *failed* (pytest names): each failed check's own
        hint, and the exercise's hint as soon as one failed check has none."""
        hints: list[str] = []
        for name in failed:
            try:
                own = self.check(name).hint
            except KeyError:
                own = ""
            text = own or self.hint
            if text not in hints:
                hints.append(text)
        return "\n\n".join(hints) or self.hint

    def check(self, test: str) -> Check:
        for check in self.checks:
            if check.test == test:
                return check
        raise KeyError(f"{self.name} has no check named {test!r}")

    def tier_checks(self, tiers: Iterable[Tier]) -> list[Check]:
        """The checks of the given tiers, in catalog order."""
        wanted = set(tiers)
        return [check for check in self.checks if check.tier in wanted]

    def suite(self, tier: Tier, suites: Path = SUITES) -> Path:
        """The suite file that holds this exercise's checks of *tier*."""
        return suites / tier.value / f"test_{self.name}.py"


# ---------------------------------------------------------------------------------------------
# downloader
# ---------------------------------------------------------------------------------------------
DOWNLOADER = Exercise(
    name="downloader",
    title="Threaded downloader",
    hint=(
        "I/O-bound work releases the GIL while it waits, so threads overlap downloads.\n"
        "Use concurrent.futures.ThreadPoolExecutor(max_workers=...) and write each body to a\n"
        "temporary file in the destination folder, then os.replace() it into place."
    ),
    more_hints=(
        (
            "Start with download_file alone: requests.get(url, stream=True, timeout=timeout), "
            "response.raise_for_status(), then copy response.iter_content(chunk_size) into a file, "
            "counting the bytes."
        ),
        (
            "Never write into dest directly: open a temporary file in dest's folder "
            "(tempfile.NamedTemporaryFile(dir=..., delete=False) or mkstemp), write it, close it, then "
            "os.replace(tmp, dest). On any exception, remove the temporary file and re-raise: dest "
            "stays as it was."
        ),
        (
            "download_all: check every argument first (max_workers, names, duplicates), before any "
            "request. Submit one download_file per URL to a "
            "ThreadPoolExecutor(max_workers=max_workers), keep the futures in the order of urls, and "
            "collect each future's exception instead of stopping at the first."
        ),
        (
            "Leaving the executor's `with` block waits for every thread. Then raise DownloadError with "
            "the dict url -> exception if any failed, else return the paths in the order of urls."
        ),
    ),
    checks=(

        Check("test_download_file_streams_the_body_and_returns_its_size",
              "download_file saves the body and returns its size", 2),
        Check("test_http_error_status_raises_and_leaves_nothing", "4xx/5xx raise HTTPError and leave nothing", 2),
        Check("test_broken_download_leaves_no_partial_file", "a broken download leaves no partial file", 1),
        Check("test_failed_download_does_not_clobber_an_existing_file",
              "a failed download keeps an existing file", 1),
        Check("test_download_all_saves_every_url_in_order",
              "download_all saves every URL, paths in order, dest_dir made with parents", 1),
        Check("test_names_are_the_last_path_segment_as_written",
              "NAME is the URL path's last segment as written (no query, fragment, decoding)", 1),
        Check("test_bad_input_is_refused_before_any_request", "bad input is refused before any request", 2),
        Check("test_failures_are_collected_in_download_error", "failures are collected in DownloadError", 1),
        Check("test_practice_max_workers_requests_overlap_under_preemption",
              "practice: max_workers requests overlap, never more, under forced switches", 2, tier=PRACTICE, runs=2),
        Check("test_practice_every_url_is_attempted_and_no_thread_is_left",
              "practice: every URL attempted, no thread left, under forced switches", 1, tier=PRACTICE, runs=2),
        Check("test_exactly_max_workers_requests_in_flight", "exactly max_workers requests in flight at once",
              2, tier=HIDDEN, runs=3),
        Check("test_every_url_is_attempted_even_when_some_fail", "every URL is attempted even when some fail",
              2, tier=HIDDEN, runs=3),
        Check("test_paths_follow_url_order_when_downloads_finish_out_of_order",
              "paths follow url order when downloads finish out of order", 1, tier=HIDDEN, runs=3),
        Check("test_no_thread_is_left_running", "no thread is left running", 1, tier=HIDDEN, runs=5),
    ),
)

# ---------------------------------------------------------------------------------------------
# counter
# ---------------------------------------------------------------------------------------------
# The reset checks run increment() beside reset(): a lost update in either fails them.
RESET_HINT = ("increment() runs beside reset() in this check, so a lost update in either shows here. Both must\n"
              "read and write the value in one step, under one lock held for the whole step.")

COUNTER = Exercise(
    name="counter",
    title="Lock-protected counter",
    hint=(
        "`self._value += amount` is a read, an add and a write: another thread can run in between.\n"
        "Hold one threading.Lock around every read-modify-write, including the check in\n"
        "add_if_below and the read-and-zero in reset; validate arguments before touching state."
    ),
    more_hints=(
        (
            "Create one threading.Lock in __init__ (one per counter, not one per call): every method "
            "reads or writes self._value only inside `with self._lock:`."
        ),
        (
            "A method that reads and then writes (increment, decrement, add_if_below, reset) must do "
            "both under the same `with` block: compute the return value inside it too, not after "
            "releasing the lock."
        ),
        (
            "Validate `amount` before taking the lock and before any change: type(amount) is not int "
            "(bool is a subclass of int, so isinstance accepts it) -> TypeError; amount < 0 -> "
            "ValueError."
        ),
    ),
    checks=(

        Check("test_counts_up_and_down_and_resets", "counts up and down, reset returns the old value", 2),
        Check("test_add_if_below_adds_only_within_the_limit", "add_if_below adds only within the limit", 2),
        Check("test_bad_amounts_are_refused_and_change_nothing", "bad amounts are refused, nothing changes", 2,
              hint=("Check the amount first, before touching the value: not an int -> TypeError, negative ->\n"
                    "ValueError. bool is a subclass of int, so test for it explicitly (True is not an amount).")),
        Check("test_practice_increments_are_never_lost",
              "practice: no lost increments, distinct return values, under forced switches", 2,
              tier=PRACTICE, runs=4),
        Check("test_practice_increments_and_decrements_keep_the_balance",
              "practice: increments and decrements together lose nothing", 2, tier=PRACTICE, runs=4),
        Check("test_practice_add_if_below_and_reset_keep_every_count",
              "practice: add_if_below and reset under forced switches lose nothing", 2, tier=PRACTICE, runs=4,
              hint=("add_if_below must check the limit and add in one step under the lock.\n\n"
                    + RESET_HINT)),
        Check("test_increments_are_never_lost", "no lost updates, distinct return values under stress",
              3, tier=HIDDEN, runs=15),
        Check("test_mixed_increments_and_decrements_keep_the_balance",
              "increments and decrements together lose nothing", 2, tier=HIDDEN, runs=15),
        Check("test_add_if_below_never_passes_the_limit", "add_if_below never passes the limit under stress",
              2, tier=HIDDEN, runs=15),
        Check("test_concurrent_resets_account_for_every_increment",
              "concurrent resets account for every increment", 1, tier=HIDDEN, runs=15,
              hint=RESET_HINT),
    ),
)

# ---------------------------------------------------------------------------------------------
# semaphore_pool
# ---------------------------------------------------------------------------------------------
SEMAPHORE_POOL = Exercise(
    name="semaphore_pool",
    title="Semaphore-bounded resource pool",
    hint=(
        "A threading.BoundedSemaphore(size) counts free slots; a lock guards the list of idle\n"
        "resources and the set of leased ones. Give the permit back on every failure path\n"
        "(timeout, factory error) and refuse releases of objects that are not leased."
    ),
    more_hints=(
        (
            "Keep three things: a BoundedSemaphore(size) for the free slots, a list of idle resources, "
            "and the leased ones (a list compared with `is`, since resources may be unhashable or equal "
            "to each other)."
        ),
        (
            "acquire: take the semaphore first (semaphore.acquire(timeout=...) returns False on "
            "timeout: raise TimeoutError). Then, under the lock, pop an idle resource, or call "
            "factory() when none is idle."
        ),
        (
            "If factory() raises, release the semaphore before re-raising: a failed acquire must cost "
            "no slot. release: under the lock, find the resource among the leased ones by identity; not "
            "found -> ValueError, and change nothing."
        ),
        (
            "lease() is a contextlib.contextmanager: acquire outside the try, `yield resource` inside "
            "try/finally, release in the finally."
        ),
    ),
    checks=(

        Check("test_resources_are_made_lazily_and_reused", "resources are made lazily and reused", 1),
        Check("test_size_below_one_is_refused", "size below 1 is refused", 1),
        Check("test_acquire_times_out_with_timeout_error", "acquire(timeout) raises TimeoutError", 1),
        Check("test_release_of_a_stranger_or_twice_is_refused",
              "release of None, a stranger or twice is refused, nothing changes", 1),
        Check("test_lease_releases_also_when_the_body_raises",
              "lease() releases also when the body raises, its exception unchanged", 1),
        Check("test_a_failing_factory_costs_the_pool_nothing", "a failing factory costs the pool nothing", 1),
        Check("test_acquire_with_timeout_zero_never_blocks", "acquire(timeout=0) never blocks", 1),
        Check("test_acquire_blocks_until_a_release_and_times_out_while_others_are_woken",
              "acquire() waits for a release; its timeout holds while it is woken", 1),
        Check("test_idle_resources_are_reused_before_new_ones", "idle resources are reused before new ones", 1),
        Check("test_resources_are_told_apart_by_identity_not_equality",
              "resources are told apart by identity, not equality", 1),
        Check("test_lease_releases_nothing_when_its_acquire_fails",
              "lease() releases nothing when its acquire fails", 1),
        Check("test_practice_never_more_than_size_leased_and_no_resource_shared",
              "practice: never more than size leased, no resource shared, under forced switches", 2,
              tier=PRACTICE, runs=4),
        Check("test_practice_leases_and_failures_keep_every_slot",
              "practice: lease(), timeouts and factory failures under forced switches lose no slot", 2,
              tier=PRACTICE, runs=4),
        Check("test_never_more_than_size_leased_and_no_resource_shared",
              "never more than size leased, no resource shared, under stress", 2, tier=HIDDEN, runs=15),
        Check("test_leases_under_stress_keep_every_invariant", "lease() under stress keeps every invariant",
              1, tier=HIDDEN, runs=10),
        Check("test_timeouts_and_factory_failures_cost_the_pool_nothing",
              "timeouts and factory failures under stress lose no slot", 1, tier=HIDDEN, runs=10),
        Check("test_double_releases_are_refused_and_never_grow_the_pool",
              "double releases under stress are refused", 1, tier=HIDDEN, runs=10),
    ),
)

# ---------------------------------------------------------------------------------------------
# producer_consumer_threads
# ---------------------------------------------------------------------------------------------
PRODUCER_CONSUMER_THREADS = Exercise(
    name="producer_consumer_threads",
    title="Producer-consumer on threads",
    hint=(
        "One lock, two threading.Condition objects on it (not_full, not_empty); always wait in a\n"
        "`while` loop, and wake everyone (notify_all) on close(). Stop consumers with close() or one\n"
        "sentinel per consumer, and join every thread, also when something raised."
    ),
    more_hints=(
        (
            "BoundedBuffer: a collections.deque for the items, one threading.Lock, and two Conditions "
            "built on that lock: not_full (put waits on it) and not_empty (get waits on it)."
        ),
        (
            "Wait in a loop: `while len(items) >= capacity and not closed: not_full.wait(remaining)`. A "
            "woken thread must check again, since another one may have taken the slot first; track the "
            "remaining time for the timeout."
        ),
        (
            "After put, not_empty.notify(); after get, not_full.notify(). close() sets the flag and "
            "calls notify_all() on both conditions: every waiter must wake up and see it."
        ),
        (
            "run_pipeline: start the producer and consumer threads; when all producers are done, close "
            "the buffer so consumers drain it and stop. Keep the first exception, close on failure too, "
            "and join every thread in a finally before re-raising it."
        ),
    ),
    checks=(

        Check("test_buffer_is_a_fifo_with_capacity_and_length",
              "the buffer is a FIFO of its own (not queue.Queue) with capacity and len()", 1),
        Check("test_bad_sizes_are_refused", "capacity or consumers below 1 are refused, also with no producers", 1),
        Check("test_put_and_get_time_out_with_timeout_error",
              "put and get time out with TimeoutError; timeout=0 never blocks", 1),
        Check("test_close_refuses_puts_and_drains_gets", "close() refuses puts and lets gets drain, then Closed", 1),
        Check("test_close_wakes_every_blocked_caller", "close() wakes every blocked caller", 1),
        Check("test_pipeline_returns_every_result", "run_pipeline returns every result", 1),
        Check("test_pipeline_reraises_a_failure", "run_pipeline re-raises the same exception object", 1),
        Check("test_timeouts_hold_while_other_callers_are_woken",
              "put and get time out also while other callers wake them", 1),
        Check("test_pipeline_with_no_producers_returns_an_empty_list", "run_pipeline with no producers returns []", 1),
        Check("test_pipeline_runs_a_thread_per_producer_and_consumers_at_once",
              "run_pipeline runs a thread per producer and `consumers` consumer threads", 1),
        Check("test_a_failure_stops_the_pipeline_promptly",
              "a failure stops the pipeline promptly: producers take no more items", 1),
        Check("test_practice_buffer_never_exceeds_capacity_and_delivers_each_item_once",
              "practice: never above capacity, each item once, in order, under forced switches", 2,
              tier=PRACTICE, runs=4),
        Check("test_practice_pipeline_consumes_every_item_exactly_once",
              "practice: run_pipeline under forced switches: every item once, no thread left", 2,
              tier=PRACTICE, runs=3),
        Check("test_buffer_never_exceeds_capacity_and_delivers_each_item_once",
              "under stress: never above capacity, each item once, in order", 2, tier=HIDDEN, runs=10),
        Check("test_close_under_load_wakes_every_waiter", "close() under load wakes every waiter",
              1, tier=HIDDEN, runs=5),
        Check("test_pipeline_consumes_every_item_exactly_once_under_stress",
              "run_pipeline under stress: every item exactly once, no thread left", 1, tier=HIDDEN, runs=10),
        Check("test_pipeline_stops_and_reraises_under_stress",
              "run_pipeline under stress stops, re-raises and joins its threads", 1, tier=HIDDEN, runs=5),
    ),
)

# ---------------------------------------------------------------------------------------------
# producer_consumer_processes
# ---------------------------------------------------------------------------------------------
PRODUCER_CONSUMER_PROCESSES = Exercise(
    name="producer_consumer_processes",
    title="Producer-consumer on processes",
    hint=(
        "CPU-bound work needs processes: each has its own interpreter and its own GIL.\n"
        "Feed (index, item) pairs into a bounded multiprocessing.Queue, collect (index, result)\n"
        "pairs, drain the result queue before join(), and watch for workers that died."
    ),
    more_hints=(
        (
            "Start `workers` processes with multiprocessing.get_context(start_method).Process, target a "
            "module-level worker function that reads (index, item) from a task queue and puts (index, "
            "result) or (index, error text) on a result queue."
        ),
        (
            "Bound the task queue (maxsize=capacity) and feed it from the calling process while "
            "collecting results, so a lazy input is read only as fast as the workers keep up. Send one "
            "stop sentinel per worker at the end."
        ),
        (
            "Collect exactly as many results as items, with a timeout on each get; on timeout, check "
            "whether a worker died (Process.exitcode) and raise WorkerError. Put the results back in "
            "input order by index."
        ),
        (
            "Drain the result queue before join(): a process that has put data on a queue does not exit "
            "until it is consumed. In a finally, terminate what is still alive and join every process."
        ),
    ),
    checks=(
        Check("test_results_come_back_in_input_order", "results come back in input order", 2,
              timeout=PROCESS_RUN_TIMEOUT),
        Check("test_every_start_method_is_used_and_works", "fork, spawn and forkserver are used and work",
              3, timeout=PROCESS_RUN_TIMEOUT),
        Check("test_sizes_below_one_are_refused", "workers or capacity below 1 are refused", 1,
              timeout=PROCESS_RUN_TIMEOUT),
        Check("test_an_exception_in_work_becomes_worker_error", "an exception in work becomes WorkerError",
              2, timeout=PROCESS_RUN_TIMEOUT),
        Check("test_practice_results_in_input_order_under_preemption",
              "practice: results in input order when work finishes out of order, under forced switches", 2,
              tier=PRACTICE, runs=1, timeout=PROCESS_RUN_TIMEOUT),
        Check("test_practice_no_process_is_left_after_a_failure",
              "practice: after a failure no worker process is left, under forced switches", 1,
              tier=PRACTICE, runs=1, timeout=PROCESS_RUN_TIMEOUT),
        Check("test_lazy_input_is_read_only_as_fast_as_workers_keep_up",
              "a lazy input is read only as fast as the workers keep up", 2, tier=HIDDEN, runs=2,
              timeout=PROCESS_RUN_TIMEOUT),
        Check("test_two_workers_really_run_at_the_same_time", "two workers really run at the same time",
              1, tier=HIDDEN, runs=2, timeout=PROCESS_RUN_TIMEOUT),
        Check("test_workers_processes_share_the_work", "exactly `workers` worker processes share the work",
              1, tier=HIDDEN, runs=2, timeout=PROCESS_RUN_TIMEOUT),
        Check("test_results_are_returned_in_input_order", "results in input order when work finishes out of order",
              1, tier=HIDDEN, runs=2, timeout=PROCESS_RUN_TIMEOUT),
        Check("test_a_dying_worker_raises_worker_error_and_nothing_is_left",
              "a dying worker raises WorkerError, nothing is left", 2, tier=HIDDEN, runs=2,
              timeout=PROCESS_RUN_TIMEOUT),
        Check("test_large_results_are_collected_without_deadlock", "large results are collected without deadlock",
              1, tier=HIDDEN, runs=2, timeout=PROCESS_RUN_TIMEOUT),
        Check("test_no_process_is_left_running_or_unjoined", "no worker process is left running or unjoined",
              1, tier=HIDDEN, runs=2, timeout=SLOW_PROCESS_RUN_TIMEOUT),
    ),
)

EXERCISES: tuple[Exercise, ...] = (
    DOWNLOADER,
    COUNTER,
    SEMAPHORE_POOL,
    PRODUCER_CONSUMER_THREADS,
    PRODUCER_CONSUMER_PROCESSES,
)


def get(name: str) -> Exercise:
    """Return the exercise called *name*, or raise KeyError listing the valid names."""
    for exercise in EXERCISES:
        if exercise.name == name:
            return exercise
    valid = ", ".join(e.name for e in EXERCISES)
    raise KeyError(f"unknown exercise {name!r}; valid names: {valid}")


def hints(report: dict[str, Any] | None, exercises: Iterable[Exercise]) -> dict[str, str]:
    """Each exercise's hint for a report (SPEC section 6's dict): per failed check where the catalog
    has one (Exercise.hint_for), the exercise's hint otherwise."""
    failed = {e.get("name"): [t.get("id", "") for t in e.get("tests", []) if t.get("status") != "passed"]
              for e in (report or {}).get("exercises", [])}
    return {e.name: e.hint_for(failed.get(e.name, ())) for e in exercises}


def max_score() -> float:
    return sum(exercise.max_score for exercise in EXERCISES)


def markdown_table() -> str:
    """The README's exercise table, generated from this catalog (tests keep README in sync)."""
    rows = [
        "| # | exercise | module | points | checks (visible + practice + hidden) |",
        "|---|----------|--------|--------|--------------------------------------|",
    ]
    for number, exercise in enumerate(EXERCISES, 1):
        counts = " + ".join(str(len(exercise.tier_checks([tier]))) for tier in Tier)
        rows.append(
            f"| {number} | {exercise.title} | `{exercise.filename}` | {exercise.max_score:g} | {counts} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
