# Fathom's Python zygote (the protocol and the layers are described in sandbox/zygote.h).
#
# Started by the grader inside a sandbox (user, pid, mount, net, ipc, uts namespaces and a
# cgroup) as PID 1 of its pid namespace, with CAP_SYS_ADMIN in its own user namespace
# only. It imports the common modules once and never runs untrusted code itself: for each
# request it forks a child; the child gives itself a fresh mount and IPC namespace with a
# fresh /tmp and /dev/shm, drops every capability, applies the rlimits, the environment
# and the seccomp filter, and only then runs the program the way `python3 FLAGS script`
# would. The program text reaches the child through a pipe and never passes through the
# zygote's own memory.
#
# Control socket (SOCK_SEQPACKET, our stdin at start):
#   grader -> zygote  b"R" + SCM_RIGHTS[stdin, stdout, stderr, body]   run one program
#                     b"K"                                            kill the running one
#   zygote -> grader  b"READY"                                        once, after imports
#                     b"X status utime_us stime_us maxrss_kb"         the child was reaped
#                     b"E text"                                       its setup failed
# A "K" that arrives when no child runs is stale (the child ended first) and is ignored.
import array
import builtins
import ctypes
import gc
import io
import os
import resource
import select
import signal
import socket
import struct
import sys
import types

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
PR_SET_PDEATHSIG = 1
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
SECCOMP_MODE_FILTER = 2
LINUX_CAPABILITY_VERSION_3 = 0x20080522
RLIM_INFINITY_U64 = (1 << 64) - 1


class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


LIBC = ctypes.CDLL(None, use_errno=True)
# fork() through a PyDLL (the GIL stays held), not os.fork(): os.fork() runs Python's
# at-fork hooks in the child (threading._after_fork, random's reseed, ...), which on
# machines with costly page faults (nested virtualisation) cost 10-15 ms per child of
# copy-on-write faults. The zygote is single-threaded and holds no lock at a fork, so the
# child needs none of them; `random`, the one hook with a visible effect, is reseeded
# below when it was imported.
RAW_FORK = ctypes.PyDLL(None, use_errno=True).fork
RAW_FORK.restype = ctypes.c_int


def libc_function(name, *argtypes):
    """Bound once here, so that a child does not build it (and copy pages) again."""
    f = getattr(LIBC, name)
    f.argtypes = argtypes
    f.restype = ctypes.c_int
    return f


ULONG = ctypes.c_ulong
PRCTL = libc_function("prctl", ctypes.c_int, ULONG, ULONG, ULONG, ULONG)
UNSHARE = libc_function("unshare", ctypes.c_int)
MOUNT = libc_function("mount", ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ULONG,
                      ctypes.c_char_p)
CAPSET = libc_function("capset", ctypes.c_void_p, ctypes.c_void_p)


def check(rc, what):
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


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
        else:
            raise ValueError(f"unknown record {tag!r}")
    return req


def std_stream(fd, mode, like):
    """sys.stdin/stdout/stderr as Python's start-up builds them (same codec and buffering
    as the zygote's own, which the interpreter built under the same environment)."""
    raw = io.FileIO(fd, mode, closefd=False)
    raw.name = like.buffer.raw.name
    buf = io.BufferedReader(raw) if mode == "rb" else io.BufferedWriter(raw)
    return io.TextIOWrapper(buf, encoding=like.encoding, errors=like.errors, newline="\n",
                            line_buffering=like.line_buffering,
                            write_through=like.write_through)


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
    threading = sys.modules.get("threading")
    if threading is not None:
        try:
            threading._shutdown()
        except BaseException:
            pass
    try:
        import atexit
        atexit._run_exitfuncs()
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


def child(fds, err_w):
    """Runs in the forked child: enters the per-program layers, then the program."""
    stage = "arranging descriptors"
    try:
        stdin_fd, stdout_fd, stderr_fd, body_fd = fds
        check(PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
        os.dup2(stdin_fd, 0)
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        keep = sorted({body_fd, err_w})
        low = 3
        for fd in keep:
            os.closerange(low, fd)
            low = fd + 1
        os.closerange(low, 1 << 20)
        stage = "reading the request"
        chunks = []
        while True:
            chunk = os.read(body_fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        os.close(body_fd)
        req = parse_body(b"".join(chunks))
        work = req["work_dir"]

        # A fresh mount and IPC namespace: this program's /tmp, /dev/shm and SysV/POSIX
        # IPC objects are its own and vanish with it.
        stage = "unsharing the mount and IPC namespaces"
        check(UNSHARE(CLONE_NEWNS | CLONE_NEWIPC), "unshare")
        stage = "mounting the work dir"
        check(MOUNT(b"tmpfs", work.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                         req["tmpfs"]), "mount tmpfs " + work)
        if os.path.isdir("/dev/shm"):
            stage = "mounting /dev/shm"
            check(MOUNT(b"tmpfs", b"/dev/shm", b"tmpfs",
                             MS_NOSUID | MS_NODEV | MS_NOEXEC, req["tmpfs"]),
                  "mount tmpfs /dev/shm")
        stage = "writing the program files"
        for name, content in req["files"]:
            fd = os.open(os.path.join(work, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         0o644)
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view):]
            os.close(fd)
        os.chdir(work)
        if "random" in sys.modules:  # what os.fork()'s hook would have done
            sys.modules["random"].seed()
        try:  # the zygote is shielded from the OOM killer; the program is not
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("0")
        except OSError:
            pass

        stage = "dropping capabilities"
        check(PRCTL(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "ambient")
        header = CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
        caps = (CapData * 2)()
        check(CAPSET(ctypes.addressof(header), ctypes.addressof(caps)), "capset")

        stage = "setting rlimits"
        for res, soft, hard in req["rlimits"]:
            resource.setrlimit(res, (
                resource.RLIM_INFINITY if soft == RLIM_INFINITY_U64 else soft,
                resource.RLIM_INFINITY if hard == RLIM_INFINITY_U64 else hard))

        if req["env"] != ZYGOTE_ENV:  # usually equal: the runtime's environment
            stage = "setting the environment"
            os.environ.clear()
            for entry in req["env"]:
                key, _, value = entry.partition(b"=")
                os.environb[key] = value

        path = req["script"]
        source = next(c for n, c in req["files"] if os.path.join(work, n) == path or n == path)
        sys.stdin = sys.__stdin__ = std_stream(0, "rb", sys.__stdin__)
        sys.stdout = sys.__stdout__ = std_stream(1, "wb", sys.__stdout__)
        sys.stderr = sys.__stderr__ = std_stream(2, "wb", sys.__stderr__)
        sys.argv = req["argv"]
        sys.orig_argv = req["orig_argv"]
        module = types.ModuleType("__main__")
        module.__file__ = path
        module.__cached__ = None
        module.__builtins__ = builtins
        sys.modules["__main__"] = module

        if "bpf" in req:
            stage = "installing the seccomp filter"
            bpf = ctypes.create_string_buffer(req["bpf"], len(req["bpf"]))
            prog = SockFprog(len(req["bpf"]) // 8, ctypes.addressof(bpf))
            check(PRCTL(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
            check(PRCTL(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0),
                  "seccomp")
        os.close(err_w)
    except BaseException as e:
        try:
            os.write(err_w, f"{stage}: {e}".encode("utf-8", "replace")[:4000])
        finally:
            os._exit(127)
    del fds, stage, req, chunks
    run_program(path, source, module)


def receive(ctl):
    msg, ancdata, flags, _ = ctl.recvmsg(64, socket.CMSG_SPACE(8 * 4))
    fds = array.array("i")
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
    return msg, list(fds)


def serve(ctl):
    while True:
        msg, fds = receive(ctl)
        if not msg:
            return  # the grader closed its end: leave (our pid namespace goes with us)
        if msg[:1] != b"R" or len(fds) != 4:
            for fd in fds:
                os.close(fd)
            if msg[:1] != b"K":  # a stale kill is expected; anything else is a bug
                ctl.send(b"E protocol: unexpected message %r with %d fds" % (msg[:8], len(fds)))
            continue
        err_r, err_w = os.pipe()
        pid = RAW_FORK()
        if pid < 0:
            raise OSError(ctypes.get_errno(), "fork")
        if pid == 0:
            try:
                child(fds, err_w)
            finally:
                os._exit(127)
        for fd in fds:
            os.close(fd)
        os.close(err_w)
        pidfd = os.pidfd_open(pid)
        poller = select.poll()
        poller.register(ctl.fileno(), select.POLLIN)
        poller.register(pidfd, select.POLLIN)
        running = True
        while running:
            for fd, _ in poller.poll():
                if fd == pidfd:
                    running = False
                elif fd == ctl.fileno():
                    m = ctl.recv(64)
                    if not m:
                        return
                    if m[:1] == b"K":
                        os.kill(pid, signal.SIGKILL)  # not reaped yet: cannot be reused
        _, status, ru = os.wait4(pid, 0)
        os.close(pidfd)
        os.set_blocking(err_r, False)
        try:
            err = os.read(err_r, 4096)
        except BlockingIOError:
            err = b""
        os.close(err_r)
        if err:
            ctl.send(b"E " + err)
        else:
            ctl.send(b"X %d %d %d %d" % (status, round(ru.ru_utime * 1e6),
                                         round(ru.ru_stime * 1e6), ru.ru_maxrss))


ZYGOTE_ENV = [key + b"=" + value for key, value in os.environb.items()]


def main():
    ctl = socket.socket(fileno=os.dup(0))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for name in sys.argv[1:]:
        try:
            __import__(name)
        except Exception:
            pass  # a module this interpreter lacks: programs get the same ImportError
    gc.collect()
    gc.freeze()  # forked children do not rescan (and so do not copy) the zygote's objects
    ctl.send(b"READY")
    serve(ctl)


main()
