"""Forced preemption: make thread switches happen inside the submission's own code, and prove it.

CPython switches threads only every few milliseconds (``sys.getswitchinterval()``), and a short
read-modify-write such as ``self.value += 1`` almost always runs inside one time slice: measured on
3.10 to 3.13, 8 threads x 20,000 unlocked increments lost no update in 10 of 10 runs. Repetition
alone therefore does not expose races. This harness installs an opcode-level trace function that
calls ``time.sleep(0)`` with a small probability. ``sleep(0)`` releases the GIL, so another thread
runs *between two bytecodes of the student's code*, exactly where a race needs it.

Which code is traced: every frame whose code is not the standard library, site-packages or the kit
(``grader/``), and whose claim to be one of those is genuine (it runs in the namespace of a module
that the standard import machinery loaded from that very file). A helper module the submission
writes to ``/tmp``, or code it compiles under a made-up file name, is traced like the submission.

The trace is installed with ``sys.settrace`` for the calling thread and ``threading.settrace`` for
every thread started while it is on. Racy code can try to switch it off; a correct program never
touches tracing, so every such attempt fails the check (``SwitchingDisabled``) or the exercise:

- The real ``sys.settrace``, ``threading.settrace``, ``time.sleep`` and their kin are taken when
  this module is imported, before the submission is; their replacement is reported as tampering.
- An audit hook (``sys.addaudithook``, installed by ``configure`` before the import, and impossible
  to remove) records ``sys.settrace``/``sys.setprofile`` calls made from submission code, code
  objects the submission compiles or builds under the name of a standard-library or kit file, and
  frame access (``sys._getframe``, ``tb_frame``, ``gi_frame``, ``gc.get_referrers``) by submission
  code. The harness settings live only in that hook's closure, which no module attribute reaches.
- A profile function (``sys.setprofile``/``threading.setprofile``) runs beside the tracer and counts
  the submission's calls per thread independently. After each block, every thread that ran
  submission code must have had the tracer see every one of those calls, and every such frame must
  have returned still carrying the tracer (``f_trace``), with opcode events on.
- ``sys.monitoring`` (3.12+) raises no audit events; a tool id the submission claimed is found by
  looking at the registered tools instead. It cannot switch settrace off in any case.

What this cannot stop: code in the same process that finds the harness's own objects (through the
tracer's closure, say) and rewrites their counters. That takes deliberate work against this file;
README's threat model says so.

Randomness is seeded (``configure(seed=...)``, from the grader's ``--seed``) so a run's choices are
reproducible up to the OS scheduler's own nondeterminism.
"""

from __future__ import annotations

import _random
import _thread
import importlib.machinery
import os
import site
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, FrameType, FunctionType, ModuleType
from typing import Any, Optional

from grader.budgets import HOOK_RETRY_PAUSE, HOOK_RETRY_SECONDS, NO_SWITCH_CHANCE, SWITCH_PROBABILITY

DEFAULT_PROBABILITY = SWITCH_PROBABILITY  # why this value: grader.budgets

TraceFunction = Callable[[FrameType, str, Any], Optional["TraceFunction"]]

MESSAGE = "the submission switched off the grader's thread switching"

# -- the real functions, taken before any submission is imported ----------------------------------
_settrace = sys.settrace
_setprofile = sys.setprofile
_gettrace = sys.gettrace
_getprofile = sys.getprofile
_getframe = sys._getframe
_audit = sys.audit
_addaudithook = sys.addaudithook
_threading_settrace = threading.settrace
_threading_setprofile = threading.setprofile
_sleep = time.sleep
_get_ident = _thread.get_ident
_monotonic = time.monotonic
_start_new_thread = getattr(threading, "_start_new_thread", None)
# Python 3.10 and 3.11 refuse sys.settrace (and sys.setprofile) in one thread while another thread
# is inside it: one process-wide flag, "Cannot install a trace function while another trace function
# is being installed". The grader's audit hook is Python code that runs inside settrace, and a
# thread switch there made a thread that threading.settrace had told to install the tracer die in
# its start-up, before its target ran: correct code then "deadlocked" (4 of 10 gradings of
# solutions/ on a loaded machine). On those versions a block starts each new thread through
# _LegacyStart instead, which installs the hooks itself and tries again when refused.
_LEGACY_SETTRACE = sys.version_info < (3, 12) and _start_new_thread is not None
_MONITORING = getattr(sys, "monitoring", None)

# (owner, attribute, value) that must still be in place whenever the harness runs.
_ORIGINALS: tuple[tuple[object, str, object], ...] = tuple(
    (owner, name, getattr(owner, name))
    for owner, names in (
        (sys, ("settrace", "setprofile", "gettrace", "getprofile", "_getframe", "audit", "addaudithook")),
        (threading, ("settrace", "setprofile", "_sys", "Thread", "_start_new_thread",
                     "_start_joinable_thread", "settrace_all_threads", "setprofile_all_threads",
                     # what the suites build their checks from: a Barrier that lets threads through
                     # one at a time serialises a stress check as surely as a patched Thread
                     "Barrier", "Condition", "Event", "Lock", "RLock", "Semaphore", "BoundedSemaphore",
                     "enumerate", "current_thread", "main_thread", "get_ident")),
        (threading.Thread, ("start", "run", "_bootstrap", "_bootstrap_inner")),
        (_thread, ("start_new_thread", "start_joinable_thread", "get_ident")),
        (time, ("sleep",)),
    )
    for name in names
    if hasattr(owner, name)
)

# Frame access that submission code has no reason for: attributes whose reading is audited.
_FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back"})
_FRAME_EVENTS = frozenset({"sys._getframe", "sys._current_frames", "sys._current_exceptions",
                           "gc.get_objects", "gc.get_referrers", "gc.get_referents"})
# Standard-library functions that hand frames to their caller: a frame reached through one of them
# counts as reached by whoever called it (module, function name; "*" for any function).
_FRAME_GIVERS = frozenset({("inspect", "*"), ("traceback", "walk_stack"), ("traceback", "walk_tb"),
                           ("logging", "<lambda>")})
_CODE_EVENTS = frozenset({"compile", "exec", "code.__new__", "function.__new__"})
_TRACE_EVENTS = frozenset({"sys.settrace", "sys.setprofile"})
_WATCHED = _FRAME_EVENTS | _CODE_EVENTS | _TRACE_EVENTS | {
    "object.__getattr__", "object.__setattr__", "grader.preempt.harness", "grader.preempt.configure",
}


class SwitchingDisabled(BaseException):
    """A preempted block ran without the forced switches it promised (BaseException: the suites'
    ``except Exception`` must not turn it into an ordinary failure)."""


def _excluded_prefixes(kit: tuple[str, ...]) -> tuple[str, ...]:
    """Folders whose code is never the submission's: the standard library, site-packages, the kit."""
    paths = sysconfig.get_paths()
    folders = [paths.get(key, "") for key in ("stdlib", "platstdlib", "purelib", "platlib")]
    folders += list(getattr(site, "getsitepackages", list)()) + [site.getusersitepackages()]
    folders += list(kit)
    prefixes: set[str] = set()
    for folder in filter(None, folders):
        for variant in (folder, os.path.realpath(folder)):
            prefixes.add(variant.rstrip(os.sep) + os.sep)
    return tuple(sorted(prefixes))


def _trusted_loaders() -> tuple[type, ...]:
    """Loader classes that load a module from its own file (or frozen into the interpreter)."""
    import importlib.machinery as machinery

    loaders: list[type] = [machinery.SourceFileLoader, machinery.SourcelessFileLoader,
                           machinery.ExtensionFileLoader, machinery.FrozenImporter, machinery.BuiltinImporter]
    import zipimport

    loaders.append(zipimport.zipimporter)
    rewrite = sys.modules.get("_pytest.assertion.rewrite")  # pytest loads the suites' test files
    if rewrite is not None:
        loaders.append(rewrite.AssertionRewritingHook)
    return tuple(loaders)


@dataclass(frozen=True)
class Settings:
    """What ``configure`` decided; frozen, and kept only where submission code cannot reach it."""

    target: str  # the submission folder, with a trailing separator
    excluded: tuple[str, ...]  # folders of the standard library, site-packages and the kit
    kit: tuple[str, ...]  # the kit's folder (grader/), as imported and resolved
    probability: float
    seed: int


class _Harness:
    """The state behind ``preempted()``: settings, random source, code classification, records.

    One instance per ``configure``; referenced from the audit hook's closure only.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # The C generator, and its method taken now, before the submission is imported: a submission
        # that replaces random.Random.random (one line) would otherwise never be switched out.
        self.rng = _random.Random(settings.seed)
        self.random = self.rng.random
        self.loaders = _trusted_loaders()
        self.verdicts: dict[int, bool] = {}  # id(code) -> submission code?
        self.codes: list[CodeType] = []  # keeps classified code objects alive: ids stay unique
        self.problems: list[str] = []  # tampering: fails the whole exercise
        self.frame_access: list[str] = []  # frames reached by submission code: fails preempted checks
        self.switches = 0
        self.active = 0  # preempted blocks running now

    # -- which code is the submission's ----------------------------------------------------------
    def excluded_file(self, filename: str) -> bool:
        return filename.startswith(("<frozen ", *self.settings.excluded))

    def is_submission_file(self, filename: str) -> bool:
        return filename.startswith(self.settings.target) or not self.excluded_file(filename)

    def is_submission_code(self, code: CodeType, globals_: dict[str, Any]) -> bool:
        """True unless *code* is genuinely the standard library's, site-packages' or the kit's."""
        verdict = self.verdicts.get(id(code))
        if verdict is None:
            filename = code.co_filename
            verdict = self.is_submission_file(filename) or not self._genuine(filename, globals_)
            self.verdicts[id(code)] = verdict
            self.codes.append(code)
        return verdict

    def _genuine(self, filename: str, globals_: dict[str, Any]) -> bool:
        """The code runs in the namespace of a module loaded by a standard loader from *filename*.

        Runs inside the audit hook, so it reads only exact built-in types (a str subclass's
        ``__eq__``, a module object's property, a dict subclass's ``get``): submission code that ran
        in here could reach the hook's own frame, where no audit event stops it.
        """
        name = dict.get(globals_, "__name__") if isinstance(globals_, dict) else None
        module = sys.modules.get(name) if type(name) is str else None
        if type(module) is not ModuleType or module.__dict__ is not globals_:
            return False
        spec = dict.get(globals_, "__spec__")
        loader = spec.loader if type(spec) is importlib.machinery.ModuleSpec else None
        kind = loader if isinstance(loader, type) else type(loader)
        if not any(kind is known for known in self.loaders) and not self._kit_loader(kind):
            return False
        if filename.startswith("<frozen "):
            return kind is importlib.machinery.FrozenImporter
        file = dict.get(globals_, "__file__")
        return type(file) is str and file == filename

    def _kit_loader(self, kind: type) -> bool:
        """A standard loader subclassed by the kit (grader/bootstrap.py's source-only loader)."""
        if not issubclass(kind, self.loaders) or kind.__mro__[1] not in self.loaders:
            return False
        functions = [value for value in vars(kind).values() if type(value) is FunctionType]
        return bool(functions) and all(f.__code__.co_filename.startswith(self.settings.kit) for f in functions)

    def caller_is_submission(self, frame: FrameType | None) -> bool:
        """True when submission code asked for the call: found walking out of the stack through
        the standard library and site-packages before any kit frame (so a call the submission
        routes through, say, ``threading`` still counts as its own)."""
        while frame is not None:
            code = frame.f_code
            if self.is_submission_code(code, frame.f_globals):
                return True
            if code.co_filename.startswith(self.settings.kit):
                return False
            frame = frame.f_back
        return False


def _install_hook(first: _Harness) -> None:
    """The audit hook: records what submission code does to tracing, code objects and frames.

    It also holds the current harness and hands it to ``preempted()`` (event
    ``grader.preempt.harness``), so the settings need no module attribute a submission could rebind
    or clear. ``configure`` replaces it through event ``grader.preempt.configure``, refused (and
    recorded) when submission code asks.
    """
    busy: set[int] = set()
    harness_box = [first]

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event not in _WATCHED:
            return
        if event == "grader.preempt.harness":
            args[0].append(harness_box[0])
            return
        if event == "grader.preempt.configure":
            asker = _getframe(2)  # the caller of configure()
            if harness_box[0].caller_is_submission(asker):
                harness_box[0].problems.append("it called grader.preempt.configure()")
            else:
                harness_box[0] = args[0]
            return
        if event == "object.__getattr__" and args[1] not in _FRAME_ATTRIBUTES:
            return
        if event == "object.__setattr__" and args[1] != "__code__":
            return
        tid = _get_ident()
        if tid in busy:
            return
        busy.add(tid)
        try:
            _record(harness_box[0], event, args, _getframe(1))
        finally:
            busy.discard(tid)

    _addaudithook(hook)


def _record(harness: _Harness, event: str, args: tuple[Any, ...], caller: FrameType) -> None:
    """Note one audited operation if submission code asked for it."""
    if event in _TRACE_EVENTS:
        if harness.caller_is_submission(caller):
            where = f"{Path(caller.f_code.co_filename).name}, line {caller.f_lineno}"
            harness.problems.append(f"it called {event}() ({where})")
        return
    if event == "object.__getattr__":
        event = f"{type(args[0]).__name__}.{args[1]}"
    elif event == "object.__setattr__":
        event, args = "function.__code__", (args[2],)
    if event in _FRAME_EVENTS or event.rpartition(".")[2] in _FRAME_ATTRIBUTES:
        caller = _frame_requester(caller)
        if harness.is_submission_code(caller.f_code, caller.f_globals):
            harness.frame_access.append(f"it reached for frame objects ({event})")
            raise FrameAccessDenied(f"exercise code may not reach frame objects ({event}): the grader "
                                    "refuses it, and the checks under forced switches fail")
        return
    filename = _code_filename(event, args)
    if filename and harness.excluded_file(filename) and harness.is_submission_code(caller.f_code, caller.f_globals):
        harness.problems.append(f"it made code that claims to be {filename!r} ({event})")


class FrameAccessDenied(RuntimeError):
    """Raised in submission code that asks for frame objects (``sys._getframe``, ``gc.get_objects``,
    ``tb_frame``...): with a frame it could walk to the grader's own objects and rewrite them."""


def _frame_requester(caller: FrameType) -> FrameType:
    """Who asked for a frame: *caller*, or, when that is a standard-library function that hands
    frames to its caller (``inspect.currentframe``, ``traceback.walk_stack``), the one above it."""
    while caller.f_back is not None:
        module, name = dict.get(caller.f_globals, "__name__"), caller.f_code.co_name
        if (module, name) not in _FRAME_GIVERS and (module, "*") not in _FRAME_GIVERS:
            break
        caller = caller.f_back
    return caller


def _code_filename(event: str, args: tuple[Any, ...]) -> str:
    """The file name a compiled or created code object will carry."""
    if event in ("compile", "code.__new__"):  # exact str only: a subclass's __str__ is its code
        name = args[1] if len(args) > 1 else ""
        return name if type(name) is str else os.fsdecode(name) if type(name) is bytes else ""
    first = args[0] if args else None
    return first.co_filename if isinstance(first, CodeType) else ""


def configure(*, target: str | os.PathLike[str], seed: int, probability: float | None = None) -> None:
    """Say which folder holds the submission, seed the random choices, install the audit hook.

    Called by the grading child before the submission is imported.
    """
    folder = str(Path(target).resolve())
    kit = {str(Path(__file__).parent) + os.sep, str(Path(__file__).resolve().parent) + os.sep}
    settings = Settings(folder.rstrip(os.sep) + os.sep, _excluded_prefixes(tuple(kit)), tuple(sorted(kit)),
                        DEFAULT_PROBABILITY if probability is None else probability, seed)
    if _harness() is None:
        _install_hook(_Harness(settings))
    else:
        _audit("grader.preempt.configure", _Harness(settings))


def _harness() -> _Harness | None:
    """The current harness, from the audit hook (not from a module attribute)."""
    box: list[_Harness] = []
    _audit("grader.preempt.harness", box)
    return box[0] if box else None


def is_submission_file(filename: str) -> bool:
    """True when code in *filename* counts as the submission's (for stacks shown to the student)."""
    harness = _harness()
    return harness is not None and harness.is_submission_file(filename)


def forced_switches() -> int:
    """How many thread switches the harness has forced since it was configured."""
    harness = _harness()
    return harness.switches if harness is not None else 0


def _foreign_monitoring_tools() -> list[str]:
    """sys.monitoring tool ids claimed by someone other than the grader (3.12+)."""
    if _MONITORING is None:
        return []
    names = [_MONITORING.get_tool(tool) for tool in range(6)]
    return [name for name in names if name is not None and not name.startswith("grader-")]


def tampering() -> str:
    """A student-readable sentence when the submission interfered with tracing, else ''.

    Checked by the grading child after the import and after every run: the whole exercise earns
    nothing then, as for a patched pytest.
    """
    harness = _harness()
    problems = list(harness.problems) if harness is not None else ["the grader's audit hook is missing"]
    problems += [f"it replaced {getattr(owner, '__name__', owner)}.{name}"
                 for owner, name, value in _ORIGINALS if getattr(owner, name, None) is not value]
    problems += [f"it claimed the sys.monitoring tool {name!r}" for name in _foreign_monitoring_tools()]
    if not problems:
        return ""
    shown = "; ".join(dict.fromkeys(problems))  # first occurrences, in order
    return (f"{MESSAGE} ({shown[:300]}): exercise code must never touch tracing, profiling or the "
            "grader's functions; no points for this exercise")


class _Block:
    """One ``preempted()`` block: the tracer, the profiler beside it, and what they counted."""

    def __init__(self, harness: _Harness, probability: float) -> None:
        self.harness = harness
        self.traced_calls: dict[int, int] = {}  # thread id -> submission calls the tracer saw
        self.profiled_calls: dict[int, int] = {}  # thread id -> submission calls the profiler saw
        self.opcodes: dict[int, int] = {}  # thread id -> traced opcodes in submission frames
        self.entered: dict[int, FrameType] = {}  # id(frame) -> submission frames entered in the block
        self.escaped: list[str] = []  # submission frames that returned without the tracer
        self.probability = probability
        self.switches_before = harness.switches
        self.tracer, self.local = self._make_tracer(probability)
        self.profiler = self._make_profiler()
        self.cells = [self._cells(self.tracer), self._cells(self.local), self._cells(self.profiler)]
        self.previous: tuple[Any, Any, Any, Any] = (None, None, None, None)
        self.starter: _LegacyStart | None = None  # threading._start_new_thread during the block (3.10/3.11)

    @staticmethod
    def _cells(function: Callable[..., Any]) -> tuple[object, ...]:
        return (function.__code__,) + tuple(cell.cell_contents for cell in function.__closure__ or ())

    def _make_tracer(self, probability: float) -> tuple[TraceFunction, TraceFunction]:
        harness = self.harness
        is_submission = harness.is_submission_code
        rng_random = harness.random
        sleep, get_ident = _sleep, _get_ident
        traced_calls, opcodes = self.traced_calls, self.opcodes

        def local(frame: FrameType, event: str, arg: Any) -> TraceFunction:
            if event == "opcode":
                tid = get_ident()
                opcodes[tid] = opcodes.get(tid, 0) + 1
                if rng_random() < probability:
                    harness.switches += 1
                    sleep(0)  # releases the GIL: another runnable thread gets it now
            return local

        def global_(frame: FrameType, event: str, arg: Any) -> TraceFunction | None:
            if event == "call" and is_submission(frame.f_code, frame.f_globals):
                tid = get_ident()
                traced_calls[tid] = traced_calls.get(tid, 0) + 1
                frame.f_trace_opcodes = True
                frame.f_trace_lines = False
                return local
            return None  # not the student's code: no per-opcode tracing, full speed

        return global_, local

    def _make_profiler(self) -> Callable[[FrameType, str, Any], None]:
        is_submission = self.harness.is_submission_code
        get_ident = _get_ident
        profiled_calls, entered, escaped = self.profiled_calls, self.entered, self.escaped
        local_ref = [self.local]

        def profiler(frame: FrameType, event: str, arg: Any) -> None:
            if event == "call":
                if is_submission(frame.f_code, frame.f_globals):
                    tid = get_ident()
                    profiled_calls[tid] = profiled_calls.get(tid, 0) + 1
                    entered[id(frame)] = frame
            elif event == "return" and entered.pop(id(frame), None) is not None:
                if frame.f_trace is not local_ref[0] or not frame.f_trace_opcodes:
                    escaped.append(f"{frame.f_code.co_name} ({Path(frame.f_code.co_filename).name})")

        return profiler

    def start(self) -> None:
        self.previous = (_gettrace(), _getprofile(), threading._trace_hook,  # type: ignore[attr-defined]
                         threading._profile_hook)
        if _LEGACY_SETTRACE:
            self.starter = _LegacyStart(self.tracer, self.profiler)
            threading._start_new_thread = self.starter  # type: ignore[attr-defined]
        else:
            _threading_setprofile(self.profiler)
            _threading_settrace(self.tracer)
        _installed(_setprofile, self.profiler)
        _installed(_settrace, self.tracer)

    def stop(self) -> list[str]:
        """Restore the previous functions; what was wrong with the hooks at the end of the block."""
        wrong = []
        if _gettrace() is not self.tracer:
            wrong.append("the tracer was gone from the thread that ran the block")
        if _getprofile() is not self.profiler:
            wrong.append("the profiler was gone from the thread that ran the block")
        previous_trace, previous_profile, thread_trace, thread_profile = self.previous
        hooks = (None, None) if _LEGACY_SETTRACE else (self.tracer, self.profiler)
        if threading._trace_hook is not hooks[0]:  # type: ignore[attr-defined]
            wrong.append("threading's trace hook was changed")
        if threading._profile_hook is not hooks[1]:
            wrong.append("threading's profile hook was changed")
        if _LEGACY_SETTRACE:
            if threading._start_new_thread is not self.starter:  # type: ignore[attr-defined]
                wrong.append("threading's thread start was changed")
            threading._start_new_thread = _start_new_thread  # type: ignore[attr-defined]
        _installed(_settrace, previous_trace)
        _installed(_setprofile, previous_profile)
        _threading_settrace(thread_trace)
        _threading_setprofile(thread_profile)
        return wrong

    def verdict(self, wrong: list[str]) -> str:
        """'' when submission code ran under the tracer everywhere, else what went wrong."""
        problems = list(wrong)
        if [self._cells(self.tracer), self._cells(self.local), self._cells(self.profiler)] != self.cells:
            problems.append("the grader's trace functions were modified")
        for tid, calls in list(self.profiled_calls.items()):
            seen = self.traced_calls.get(tid, 0)
            if seen < calls:
                problems.append(f"{calls - seen} of {calls} calls of its code in one thread ran untraced")
        if self.escaped:
            problems.append(f"{len(self.escaped)} of its frames switched tracing off ({self.escaped[0]})")
        opcodes, forced = sum(self.opcodes.values()), self.harness.switches - self.switches_before
        if not forced and self.probability > 0 and (1 - self.probability) ** opcodes < NO_SWITCH_CHANCE:
            problems.append(f"not one of the {opcodes} instructions of its code traced in the block was "
                            "followed by a forced switch")
        problems += self.harness.frame_access
        problems += [tampered] if (tampered := tampering()) else []
        if not problems:
            return ""
        shown = "; ".join(dict.fromkeys(problems))
        return (f"{MESSAGE}: {shown[:400]}. Exercise code must never touch tracing or frames; "
                "this check cannot be passed that way")


def _installed(setter: Callable[[Any], None], function: Any) -> None:
    """``setter(function)`` (sys.settrace or sys.setprofile), tried again for a moment while
    Python 3.10/3.11 refuse it because another thread is inside one of them (see _LEGACY_SETTRACE)."""
    deadline = _monotonic() + HOOK_RETRY_SECONDS
    while True:
        try:
            setter(function)
            return
        except RuntimeError:
            if not _LEGACY_SETTRACE or _monotonic() > deadline:
                raise
            _sleep(HOOK_RETRY_PAUSE)


class _LegacyStart:
    """``threading._start_new_thread`` during a block on 3.10/3.11: the new thread installs the
    block's profiler and tracer itself (retrying while refused), then runs threading's bootstrap.

    threading.settrace would make the thread's bootstrap call sys.settrace once, unguarded, and the
    thread dies when that call is refused. A class, not a closure: stop() checks that this very
    object is still in place.
    """

    def __init__(self, tracer: TraceFunction, profiler: Callable[[FrameType, str, Any], None]) -> None:
        self.tracer, self.profiler = tracer, profiler

    def __call__(self, function: Callable[..., Any], args: tuple[Any, ...], kwargs: Any = None) -> int:
        tracer, profiler = self.tracer, self.profiler

        def start() -> None:
            _installed(_setprofile, profiler)
            _installed(_settrace, tracer)
            function(*args, **(kwargs or {}))

        assert _start_new_thread is not None
        return _start_new_thread(start, ())


@contextmanager
def preempted(probability: float | None = None) -> Iterator[None]:
    """Force thread switches at random bytecodes of the submission while the block runs.

    Threads started inside the block inherit the trace function; threads started before it do not.
    On exit the block verifies that the submission's code really ran under the tracer and raises
    ``SwitchingDisabled`` when it did not (also when the body failed: the tampering is the news).
    """
    harness = _harness()
    if harness is None:
        raise RuntimeError("grader.preempt.configure() must be called before preempted()")
    before = tampering() or "; ".join(dict.fromkeys(harness.frame_access))
    if before:
        raise SwitchingDisabled(f"{MESSAGE}: {before}")
    block = _Block(harness, harness.settings.probability if probability is None else probability)
    harness.active += 1
    block.start()
    try:
        yield
    except BaseException:
        harness.active -= 1
        problem = block.verdict(block.stop())
        if problem:
            raise SwitchingDisabled(problem) from None
        raise
    harness.active -= 1
    problem = block.verdict(block.stop())
    if problem:
        raise SwitchingDisabled(problem)

