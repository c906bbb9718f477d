# Fathom's Python zygote (the protocol and the layers are described in sandbox/zygote.h).
#
# Started by the grader inside a sandbox (user, pid, mount, net, ipc, uts namespaces and a
# cgroup) as PID 1 of its pid namespace, with CAP_SYS_ADMIN in its own user namespace
# only. It imports the common modules once, installs its part of the seccomp filter and
# never runs untrusted code itself. It keeps one child forked ahead (a "spare", named
# fathom-spare in ps), made between two runs so that neither the fork nor the child's new
# IPC namespace (if it needs one) waits for a request. A request's descriptors go to the
# spare; the child (in C: zygote_child.c) sizes /tmp and /dev/shm (two tmpfs the zygote
# mounted once and empties after every run) to its limit, drops every capability, applies the rlimits and the rest of the seccomp
# filter, then (here) the environment, and only then runs the program the way
# `python3 FLAGS script` would. The program text reaches the child through a pipe and
# never passes through the zygote's own memory. Once the child is reaped and reported,
# the next spare is forked. That loop is in C too (fathom_zygote_serve): the zygote works
# while its spare is alive, and each page of the interpreter's heap it wrote would be
# copied for one of them.
#
# Control socket (SOCK_SEQPACKET, our stdin at start):
#   grader -> zygote  b"R" + SCM_RIGHTS[stdin, stdout, stderr, body]  run one program
#                     b"N" + the same                                 the same, and send
#                                                      back the child's seccomp listener
#                     b"K"                                            kill the running one
#   zygote -> grader  b"READY"                                        once, after imports
#                     b"L" + SCM_RIGHTS[listener]      after "N", ahead of the report
#                                                      (the child sent it to the zygote)
#                     b"X status utime_us stime_us maxrss_kb"         the child was reaped
#                     b"E text"                                       its setup failed
# A "K" that arrives when no child runs is stale (the child ended first) and is ignored.
import builtins
import ctypes
import gc
import io
import os
import stat
import struct
import sys
import types

# The children's library (sandbox/zygote_child.c; loaded below as CHILD_LIB).
CHILD_LIB_PATH = "/tmp/fathom_zygote_child.so"

# The grader preloaded that library into this interpreter, last in LD_PRELOAD
# (sandbox/zygote_memory.c); nothing after us may see it there, the programs least.
_PRELOAD = [p for p in os.environ.get("LD_PRELOAD", "").split(":")
            if p and p != CHILD_LIB_PATH]
if _PRELOAD:
    os.environ["LD_PRELOAD"] = ":".join(_PRELOAD)
else:
    os.environ.pop("LD_PRELOAD", None)

# finalize() asks atexit whether the program registered anything. A fresh interpreter
# does not import the module, so neither do the programs' sys.modules see it: a module
# object of our own is kept (the callbacks live in the interpreter, shared by every
# atexit module object), not sys.modules' entry. Importing it in each child instead cost
# about 75 copy-on-write faults per program (importlib's machinery), a third of a
# trivial program's.
_ATEXIT_WAS_IMPORTED = "atexit" in sys.modules
import atexit as ATEXIT  # noqa: E402
if not _ATEXIT_WAS_IMPORTED:
    del sys.modules["atexit"]

# The child's layers, in C (sandbox/zygote_child.c): the grader writes the library into
# our work dir; the zygote mounts the children's scratch tmpfs over it later, but it
# stays mapped.
# A PyDLL: the GIL stays held across every call. The zygote is single-threaded, and its
# fork must not go through os.fork(), which runs Python's at-fork hooks in the child
# (threading._after_fork, random's reseed, ...): on machines with costly page faults
# (nested virtualisation) they cost 10-15 ms per child of copy-on-write faults. The zygote
# holds no lock at a fork, so the child needs none of them; `random`, the one hook with a
# visible effect, is reseeded below when it was imported.
CHILD_LIB = ctypes.PyDLL(CHILD_LIB_PATH, use_errno=True)
CHILD_LIB.fathom_zygote_install_filter.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
CHILD_LIB.fathom_zygote_collapse.restype = ctypes.c_longlong
# Phase tracing (a request with a "T" record; RunTrace in sandbox/run_spec.h).
TRACE = CHILD_LIB.fathom_zygote_trace
TRACE.argtypes = [ctypes.c_int, ctypes.c_char_p]
FILTER_PATH = "/tmp/fathom_zygote_filter.bpf"


class ChildRequest(ctypes.Structure):
    """zygote_child.c's struct child_request: filled in by SERVE in a child."""
    _fields_ = [("body", ctypes.c_void_p), ("body_len", ctypes.c_size_t),
                ("err_fd", ctypes.c_int), ("script", ctypes.c_void_p),
                ("script_len", ctypes.c_size_t), ("trace", ctypes.c_int)]


REQUEST = ChildRequest()
SERVE = CHILD_LIB.fathom_zygote_serve
SERVE.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.POINTER(ChildRequest)]
SERVE.restype = ctypes.c_int
EXPECT = CHILD_LIB.fathom_zygote_expect
EXPECT.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p]
EXPECT.restype = ctypes.c_int
WORK_DIR = "/tmp"  # kSandboxWorkDir


def parse_body(data):
    """Records: 1-byte tag, 4-byte little-endian length, payload."""
    req = {"argv": [], "orig_argv": [], "env": [], "files": [], "rlimits": []}
    pos = 0
    pending_name = None
    while pos < len(data):
        tag = data[pos:pos + 1]
        (n,) = struct.unpack_from("<I", data, pos + 1)
        value = data[pos + 5:pos + 5 + n]
        pos += 5 + n
        if tag == b"a":
            req["argv"].append(os.fsdecode(value))
        elif tag == b"o":
            req["orig_argv"].append(os.fsdecode(value))
        elif tag == b"e":
            req["env"].append(value)
        elif tag == b"f":
            pending_name = os.fsdecode(value)
        elif tag == b"c":
            req["files"].append((pending_name, value))
        elif tag == b"r":
            req["rlimits"].append(struct.unpack("<iQQ", value))
        elif tag == b"s":
            req["script"] = os.fsdecode(value)
        elif tag == b"t":
            req["tmpfs"] = value
        elif tag == b"w":
            req["work_dir"] = os.fsdecode(value)
        elif tag == b"b":
            req["bpf"] = value
        elif tag == b"T":
            pass  # phase tracing: zygote_child.c read it
        else:
            raise ValueError(f"unknown record {tag!r}")
    return req


def preload_source(name):
    """Defines the module `name` from its source in our work dir (ZygoteOptions::
    preload_sources), as the programs that use it would: compiled as "<name>", run in a
    fresh module's namespace. One that fails is left out: its programs define it."""
    try:
        with open(f"/tmp/fathom_preload_{name}.py", "rb") as f:
            source = f.read()
        module = types.ModuleType(name)
        exec(compile(source, f"<{name}>", "exec", dont_inherit=True), module.__dict__)
        sys.modules[name] = module
    except Exception:
        pass


def std_stream(fd, mode, like):
    """sys.stdin/stdout/stderr as Python's start-up builds them (same codec and buffering
    as the zygote's own, which the interpreter built under the same environment)."""
    raw = io.FileIO(fd, mode, closefd=False)
    raw.name = like.buffer.raw.name
    buf = io.BufferedReader(raw) if mode == "rb" else io.BufferedWriter(raw)
    return io.TextIOWrapper(buf, encoding=like.encoding, errors=like.errors, newline="\n",
                            line_buffering=like.line_buffering,
                            write_through=like.write_through)


def prebuild_streams():
    """The children's sys.stdin, stdout and stderr, built once here instead of in every
    child: three TextIOWrappers made in a fresh child cost about 180 us, mostly in
    copy-on-write faults on the io and codec objects they touch, while a child that
    inherits them ready copies a page or two when it writes. A stream's state depends on
    what its descriptor was when it was built (the buffer's tell(), the wrapper's
    seekable()), so they are built on pipes, which is what a child's three descriptors
    are (RunSpec::has_stdin). A child whose descriptor is something else builds its own
    (child_stream)."""
    saved = [os.dup(fd) for fd in (0, 1, 2)]
    r, w = os.pipe()
    try:
        os.dup2(r, 0)
        os.dup2(w, 1)
        os.dup2(w, 2)
        PREBUILT[0] = std_stream(0, "rb", sys.__stdin__)
        PREBUILT[1] = std_stream(1, "wb", sys.__stdout__)
        PREBUILT[2] = std_stream(2, "wb", sys.__stderr__)
    finally:
        for fd, old in zip((0, 1, 2), saved):
            os.dup2(old, fd)
            os.close(old)
        os.close(r)
        os.close(w)


PREBUILT = {}  # fd -> a stream built on a pipe there, never used by the zygote


def child_stream(fd, mode, like):
    """The stream `python3 script` would have built on `fd`."""
    if stat.S_ISFIFO(os.fstat(fd).st_mode):
        return PREBUILT[fd]
    return std_stream(fd, mode, like)


def exit_code(e):
    """The status `python3 script` ends with after SystemExit `e`."""
    code = e.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(f"{code}\n")
    except BaseException:
        pass
    return 1


def finalize(rc):
    """What Py_FinalizeEx does that a program can observe: wait for its threads, run its
    atexit functions, flush the standard streams (a failed stdout flush exits 120)."""
    try:
        exit_funcs = ATEXIT._ncallbacks()
    except BaseException:
        exit_funcs = 1
    threading = sys.modules.get("threading")
    if threading is not None:
        try:
            # _shutdown marks the main thread stopped, runs the threading module's exit
            # hooks and joins the other threads. With no other thread and no hook, only
            # program code that runs after it could see a difference (an atexit function,
            # a std stream of the program's own being flushed); with none of those either,
            # it is skipped: it touched about 35 of the zygote's pages (each copied).
            # _shutdown_locks always holds the main thread's own lock (Python 3.11 adds
            # it at start), which _shutdown only releases: that one is not a thread to
            # wait for.
            locks = threading._shutdown_locks
            own = threading._main_thread._tstate_lock
            if (exit_funcs or len(threading._active) > 1 or threading._threading_atexits
                    or len(locks) > (1 if own in locks else 0)
                    or sys.stdout is not sys.__stdout__ or sys.stderr is not sys.__stderr__):
                threading._shutdown()
        except BaseException:
            pass
    try:
        ATEXIT._run_exitfuncs()
    except BaseException:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None and not stream.closed:
                stream.flush()
        except BaseException:
            if stream is sys.stdout:
                rc = 120
    return rc


def run_program(path, source, module):
    """Runs `source` as __main__ the way the interpreter runs a script file."""
    rc = 0
    try:
        code = compile(source, path, "exec", dont_inherit=True)
        exec(code, module.__dict__)
    except SystemExit as e:
        rc = exit_code(e)
    except BaseException:
        etype, value, tb = sys.exc_info()
        # Our own frame is not part of the program's traceback.
        try:
            sys.excepthook(etype, value, tb.tb_next if tb is not None else None)
        except BaseException:
            pass
        rc = 1
    os._exit(finalize(rc))


def child():
    """Runs in a child SERVE returned in, once its layers are in place: prepares the
    interpreter as `python3 FLAGS script` would have it, then runs the program."""
    err_w = REQUEST.err_fd
    stage = "reading the request"
    try:
        req = parse_body(ctypes.string_at(REQUEST.body, REQUEST.body_len))
        work = req["work_dir"]
        if "random" in sys.modules:  # what os.fork()'s hook would have done
            sys.modules["random"].seed()
        if req["env"] != ZYGOTE_ENV:  # usually equal: the runtime's environment
            stage = "setting the environment"
            os.environ.clear()
            for entry in req["env"]:
                key, _, value = entry.partition(b"=")
                os.environb[key] = value
        stage = "preparing the interpreter"
        path = req["script"]
        source = next(c for n, c in req["files"] if os.path.join(work, n) == path or n == path)
        sys.stdin = sys.__stdin__ = child_stream(0, "rb", sys.__stdin__)
        sys.stdout = sys.__stdout__ = child_stream(1, "wb", sys.__stdout__)
        sys.stderr = sys.__stderr__ = child_stream(2, "wb", sys.__stderr__)
        sys.argv = req["argv"]
        sys.orig_argv = req["orig_argv"]
        module = types.ModuleType("__main__")
        module.__file__ = path
        module.__cached__ = None
        module.__builtins__ = builtins
        sys.modules["__main__"] = module
        if REQUEST.trace:
            TRACE(err_w, b"interp")
        os.close(err_w)
    except BaseException as e:
        try:
            os.write(err_w, f"{stage}: {e}".encode("utf-8", "replace")[:4000])
        finally:
            os._exit(127)
    del stage, req
    run_program(path, source, module)


ZYGOTE_ENV = [key + b"=" + value for key, value in os.environb.items()]
ZYGOTE_MAIN = sys.modules["__main__"]
USUAL = [None, None, None]  # the usual request's script: [path, sys.argv, __main__]


def record(tag, value):
    return tag + struct.pack("<I", len(value)) + value


def expect_usual(script):
    """Prepares the interpreter for the request most programs send (`python3 FLAGS
    script` with the runtime's environment and pipes as stdio: zygote_child.c's
    usual_request), once, before any fork: sys.argv and sys.orig_argv, the std streams
    (prebuilt) and a fresh __main__ module are set here as child() would set them, so a
    child with such a request only runs the script (run_usual). Setting them in a child
    touched about 200 of the zygote's pages, each copied for that child."""
    path = script if script.startswith("/") else os.path.join(WORK_DIR, script)
    orig = sys.orig_argv[:sys.orig_argv.index("-c")] + [script]
    prefix = record(b"a", os.fsencode(script))
    prefix += b"".join(record(b"o", os.fsencode(a)) for a in orig)
    prefix += b"".join(record(b"e", e) for e in ZYGOTE_ENV)
    if EXPECT(prefix, len(prefix), os.fsencode(path)) != 0:
        return
    sys.argv = [script]
    sys.orig_argv = orig
    sys.stdin = sys.__stdin__ = PREBUILT[0]
    sys.stdout = sys.__stdout__ = PREBUILT[1]
    sys.stderr = sys.__stderr__ = PREBUILT[2]
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__cached__ = None
    module.__builtins__ = builtins
    sys.modules["__main__"] = module
    USUAL[:] = [path, sys.argv, module]


USUAL_ERR_FD = 3  # zygote_child.c: kUsualErrFd


def run_usual(traced):
    """Runs in a child whose request is the usual one, in the state expect_usual made.
    The script is read back from the file the child wrote, as `python3 script` reads it
    (through ctypes, from the request in memory, it touched twice as many pages)."""
    try:
        fd = os.open(USUAL[0], os.O_RDONLY)
        chunks = [os.read(fd, 1 << 16)]
        while len(chunks[-1]) == 1 << 16:
            chunks.append(os.read(fd, 1 << 16))
        os.close(fd)
        source = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if "random" in sys.modules:  # what os.fork()'s hook would have done
            sys.modules["random"].seed()
        if traced:
            TRACE(USUAL_ERR_FD, b"interp")
        os.close(USUAL_ERR_FD)
    except BaseException as e:
        try:
            os.write(USUAL_ERR_FD,
                     f"preparing the interpreter: {e}".encode("utf-8", "replace")[:4000])
        finally:
            os._exit(127)
    run_program(USUAL[0], source, USUAL[2])


def main():
    ctl = os.dup(0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    # argv: ipc=own|ipc=shared (does each child get its own IPC namespace), then modules
    # to import, source=NAME (ZygoteOptions::preload_sources), script=NAME (the script
    # of the usual request: expect_usual) and cpu=N (the one CPU to stay on:
    # ZygoteOptions::pin_slots; refused, the zygote runs where the scheduler puts it).
    share_ipc = 1 if sys.argv[1] == "ipc=shared" else 0
    for arg in sys.argv[2:]:
        if arg.startswith("cpu="):
            CHILD_LIB.fathom_zygote_pin(int(arg[len("cpu="):]))
    for name in sys.argv[2:]:
        if name.startswith(("script=", "cpu=")):
            continue  # expect_usual, below; pinned above
        if name.startswith("source="):
            preload_source(name[len("source="):])
            continue
        try:
            __import__(name)
        except Exception:
            pass  # a module this interpreter lacks: programs get the same ImportError
    prebuild_streams()
    for arg in sys.argv[2:]:
        if arg.startswith("script="):
            expect_usual(arg[len("script="):])
    gc.collect()
    # The allocator's free pages go back to the kernel (about 1.1 MB of the heap the
    # imports left free): every fork copies, and every child's exit tears down, the page
    # table entries of what is still mapped.
    ctypes.CDLL(None).malloc_trim(0)
    gc.freeze()  # forked children do not rescan (and so do not copy) the zygote's objects
    # The heap and the arenas in huge pages: a fork copies, and a child's exit tears
    # down, one entry for each 2 MiB instead of 512 (sandbox/zygote_memory.c).
    CHILD_LIB.fathom_zygote_collapse()
    # Our part of a split seccomp filter (sandbox/seccomp.h): from here on the zygote runs
    # confined too, and each child only adds the short rest.
    if os.path.exists(FILTER_PATH):
        with open(FILTER_PATH, "rb") as f:
            bpf = f.read()
        err = CHILD_LIB.fathom_zygote_install_filter(bpf, len(bpf))
        if err != 0:
            raise OSError(err, "installing the zygote's seccomp filter")
    # Nothing may wait in a stream's buffer: the children would inherit it.
    sys.stdout.flush()
    sys.stderr.flush()
    # The loop, in C; it forks the first spare before READY (so the grader's memory
    # baseline includes it) and returns here in each child, or when the grader leaves.
    rc = SERVE(ctl, share_ipc, ctypes.byref(REQUEST))
    if rc == 0 or rc >= 2:  # a child: 2 and 3 are usual requests, 3 traced
        try:
            if rc >= 2:
                run_usual(rc == 3)
            else:
                child()
        finally:
            os._exit(127)
    if rc < 0:
        raise OSError(ctypes.get_errno(), "the zygote's loop")


main()
