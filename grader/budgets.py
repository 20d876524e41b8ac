"""Every time budget, size and probability of the grader, in one place.

A plain module of constants: no code, nothing to configure at run time. Other modules import their
limits from here, so that the order the limits must keep is visible on one page and checked by one
test (tests/test_budgets.py):

    a call's hang detector (SHORT_TIMEOUT < LONG_TIMEOUT, DOWNLOAD_TIMEOUT, PIPELINE_TIMEOUT)
      < the per-run timeout of its check (RUN_TIMEOUT, PROCESS_RUN_TIMEOUT)
      < the per-run timeout + the child's backstop + the parent's kill grace
      < EXERCISE_BUDGET (wall clock for one exercise)
    SEARCH_WORST_CASE (the interleaving search, with everything that may overrun it)
      < EXPLAIN_GRACE (what the parent waits for it)
    IMPORT_TIMEOUT + the child's backstop < START_GRACE

Timeouts here are hang detectors, never performance thresholds: each is many times longer than the
work it guards takes on a slow, busy machine. Racy code is caught by forced thread switches
(grader.preempt), not by speed, so none of these values decides a race.
"""

from __future__ import annotations

# -- inside one check: the suites' own hang detectors (grader.testing and the suites) ------------
# Wait this long for something that should happen at once (a blocked call to wake up).
SHORT_TIMEOUT = 5.0
# Wait this long for a whole stress scenario's threads to finish (a run takes well under 1 s).
LONG_TIMEOUT = 10.0
# download_all() against the in-process fake server: a download there takes milliseconds. Below
# RUN_TIMEOUT so that a hang gets the suite's message naming download_all(), not the backstop's
# (it was 20 s, equal to the run timeout, so that message could never fire).
DOWNLOAD_TIMEOUT = LONG_TIMEOUT
# run_pipeline() with real worker processes: start-up is slow on a busy machine (spawn imports the
# interpreter again), a real run takes < 1 s. Below PROCESS_RUN_TIMEOUT.
PIPELINE_TIMEOUT = 20.0
# A correct pipeline's second worker starts within a second or two (grader.suites.process_work).
RENDEZVOUS_TIMEOUT = 10.0
# Threads between their last statement and their exit get this long before counting as left behind.
THREAD_EXIT_GRACE = 1.0
# A hang is reported once every thread of a check has stayed this long blocked in a wait that only
# another of them could end (no notify in between: grader.stacks.stuck_signature). The verdict is
# certain then; waiting out a timeout cannot change it. Not a speed threshold: a thread that runs,
# however slowly, is never "blocked for good". Far below SHORT_TIMEOUT.
HANG_QUIET = 1.0
# How often the threads are looked at meanwhile.
HANG_POLL = 0.05
# Threads a failed check left blocked for good must stay so this long to be left in place (parked)
# instead of ending the child.
PARK_CONFIRM = 0.2

# -- one run of a check (grader.catalog's Check.timeout; enforced in the child, backstopped) -----
# Default per-run timeout: the backstop behind the suites' own detectors above.
RUN_TIMEOUT = 20.0
# Checks that start worker processes (producer_consumer_processes): each run may start several.
PROCESS_RUN_TIMEOUT = 60.0
# The slowest process check (several pipelines in one run).
SLOW_PROCESS_RUN_TIMEOUT = 90.0
# After a run's own timeout, faulthandler dumps every stack and ends the child this much later:
# the backstop when the submission blocks or replaces SIGALRM.
BACKSTOP_GRACE = 3.0
# After the child's own backstop, the parent kills the child's whole session.
KILL_GRACE = 2.0

# -- one child, one exercise (grader.child, grader.runner) ---------------------------------------
# An import that takes longer counts as an endless loop at module level.
IMPORT_TIMEOUT = 10.0
# Child start-up, pytest collection and the submission's import; also the longest silence allowed
# between two checks.
START_GRACE = 30.0
# Wall-clock seconds for one exercise, whatever the submission does (restarts included).
EXERCISE_BUDGET = 150.0
# How often the parent looks whether the child has exited.
POLL_INTERVAL = 0.2
# After the child exits, read what is left in its pipes for this long at most.
EXIT_DRAIN = 1.0

# -- the interleaving search after a failed stress check (grader.explain, grader.scheduler) ------
# Seconds spent looking for a failing schedule. No new random schedule starts after it.
SEARCH_BUDGET = 8.0
# Shrinking the schedule found may go on this share of the search budget longer.
SHRINK_SHARE = 0.5
# Real time one scheduled run may take before it is abandoned (a hang under the scheduler).
SCHEDULE_WATCHDOG = 5.0
# What the search can really take: the budgets above, one run started just before the shrink
# deadline, and up to two final replays that confirm the schedule (each bounded by the watchdog).
# The search budget "said 8 s" could take 12 s before; this is the honest bound.
SEARCH_WORST_CASE = SEARCH_BUDGET * (1 + SHRINK_SHARE) + 3 * SCHEDULE_WATCHDOG
# What the parent waits for the search before it ends the child (the verdict is in already).
EXPLAIN_GRACE = 40.0
# Switch chances the search tries in turn: short and long preemption windows.
SEARCH_PROBABILITIES = (0.3, 0.1, 0.03)

# -- forced preemption during the stress checks (grader.preempt) ---------------------------------
# Chosen by measurement (3.11, 8 threads x 2,000 increments, 5 runs each): an unlocked increment
# lost 8,900-9,800 of 16,000 updates at p = 0.01, and as many at 0.05 or 0.2, while the locked
# version's run time grew from 0.5 s (0.01) to 1.3 s (0.05) and 4.3 s (0.2): a switch forced while
# a thread holds the lock makes every other thread queue behind it. 0.01 exposes the race just as
# surely at a fraction of the cost.
SWITCH_PROBABILITY = 0.01
# A block whose submission code ran so many traced instructions that, at the block's switch
# probability, the chance of no forced switch at all is below this, yet had none, was tampered with
# (its random source replaced, say): at 0.01, 2,100 instructions. The check fails then.
NO_SWITCH_CHANCE = 1e-9
# On Python 3.10 and 3.11, sys.settrace/sys.setprofile refused because another thread is inside one
# of them (grader.preempt._LEGACY_SETTRACE) are tried again after this pause, for this long: the
# other thread is done within microseconds, unless it was switched out (milliseconds).
HOOK_RETRY_PAUSE = 0.0005
HOOK_RETRY_SECONDS = 5.0

# -- sizes and resource limits of the grading child (grader.child, grader.limits) ----------------
# print() output passed on per stream by the child; the rest is dropped (tens of MB would spend the
# budget in the pipe).
OUTPUT_LIMIT = 1024 * 1024
# Captured stdout/stderr the parent keeps per stream: the end, where crash dumps are.
OUTPUT_TAIL = 64 * 1024
# CPU seconds of the child (its own children count separately).
CPU_SECONDS = 300
# Bytes of virtual memory: threads reserve stacks, so not less.
ADDRESS_SPACE = 4 * 1024**3
# Processes beyond those the user already has (fork bombs). Not enforced for root on Linux.
PROCESSES = 256
# Largest file the child may write.
FILE_SIZE = 64 * 1024**2
# Size of the bubblewrap sandbox's private /tmp (the work folder is in it) and of its /dev/shm.
TMP_SIZE = 256 * 1024**2
# The trial run that tells whether bubblewrap works here (grader.sandbox), once per process.
SANDBOX_TRIAL_TIMEOUT = 20.0

# -- whole commands (grader.cli, grader.batch) ---------------------------------------------------
# ``--replay``: a few small runs, each bounded by SCHEDULE_WATCHDOG.
REPLAY_TIMEOUT = 60.0
# One submission of a class batch: far above five exercise budgets; a safety net, not a limit.
SUBMISSION_TIMEOUT = 1200.0
