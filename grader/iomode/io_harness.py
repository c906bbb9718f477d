# fathom I/O-mode harness v7: calls the program's entry point on every input and sends
# each return value out as plain data; the grader compares it with expected values that
# never enter this process (see grader/io_mode.h in the fathom sources).
#
# Channel: records on a private dup of stdout (fd 1 itself then points at /dev/null):
#   "\n#" NONCE " " PHASE " " INDEX " " KIND " " CPU_US " " LEN "\n" PAYLOAD
# PHASE is base, plus or "-"; KIND is V (value, in the wire format of grader/py_value.h),
# W (a value whose wire text is over config digest_over bytes, sent as its equality
# digest instead: "DIGEST WIRE_BYTES FLOATS", DIGEST "-" for a value equal to nothing,
# FLOATS "F" when the value is a float or a list/tuple of floats, else "-"), E (exception:
# type name, newline, message), T (the input's time limit), U (the return value is not
# plain data: why), D (phase over), X (the program failed before any call: type, newline,
# message), Z (all done; with phase tracing, the harness's points).
# Nothing here is trusted by the grader beyond being the candidate's answer: whatever a
# program does to this code, the most it can send is a value it could have returned.
def _fathom_io(src, config_json, base_json, plus_json, collections=_fathom_collections,
               hashlib=_fathom_hashlib, json=_fathom_json, os=_fathom_os, signal=_fathom_signal,
               struct=_fathom_struct, sys=_fathom_sys, time=_fathom_time):
    if hashlib is None:  # a fresh interpreter (harness_common.py)
        import hashlib
    if signal is None:
        import signal
    read, write, dup, dup2, exit_now = os.read, os.write, os.dup, os.dup2, os._exit
    cpu_ns, setitimer, itimer_prof = time.process_time_ns, signal.setitimer, signal.ITIMER_PROF
    pack, type_, len_, id_, isinstance_ = struct.pack, type, len, id, isinstance
    sha256 = hashlib.sha256
    base_exception, memory_error = BaseException, MemoryError
    int_t, bool_t, float_t, str_t, complex_t = int, bool, float, str, complex
    list_t, tuple_t, dict_t, set_t, frozenset_t = list, tuple, dict, set, frozenset

    nonce = _fathom_read_nonce(read)
    channel = dup(1)
    null_fd = os.open(os.devnull, os.O_RDWR)
    dup2(null_fd, 0)
    dup2(null_fd, 1)
    os.close(null_fd)

    def send(phase, index, kind, cpu_us=0, payload=b""):
        data = (b"\n#%s %s %d %s %d %d\n" % (nonce, phase, index, kind, cpu_us, len_(payload))
                + payload)
        while data:
            data = data[write(channel, data):]

    def describe(e):
        try:
            kind = type_(e).__name__
            message = f"{e}"
        except base_exception:
            kind, message = "BaseException", ""
        if len_(message) > 4096:
            message = message[:4096] + "...[truncated by fathom]"
        return (str_t(kind).replace("\n", " ") + "\n" + message).encode("utf-8", "backslashreplace")

    config = json.loads(config_json)
    entry, reference, details = config["entry"], config["reference"], config["details"]
    not_none, limits = config["not_none"], config["limits_ms"]
    digest_over = config["digest_over"]
    # EvalPlus inputs hold integers of more than 4300 digits; the default limit comes back
    # before any program code runs.
    max_digits = getattr(sys, "get_int_max_str_digits", None)
    saved = max_digits() if max_digits else None
    if max_digits:
        sys.set_int_max_str_digits(0)
    phases = ((b"base", json.loads(base_json)), (b"plus", json.loads(plus_json)))
    if max_digits:
        sys.set_int_max_str_digits(saved)
    convert = _FATHOM_CONVERSIONS.get(config["convert"])

    # numpy scalars are plain numbers to EvalPlus (np.float64(1.5) == 1.5): their exact
    # types, taken before any program code runs, convert to int/float/bool.
    numpy_plain = {}
    if "numpy" in src:
        try:
            import numpy
            for t in set(numpy.sctypeDict.values()):
                if isinstance_(t, type_) and issubclass(t, numpy.bool_):
                    numpy_plain[t] = bool_t
                elif isinstance_(t, type_) and issubclass(t, numpy.integer):
                    numpy_plain[t] = int_t
                elif isinstance_(t, type_) and issubclass(t, numpy.floating):
                    numpy_plain[t] = float_t
        except ImportError:
            pass

    class NotPlain(Exception):
        pass

    tags = {list_t: "l", tuple_t: "t", set_t: "S", frozenset_t: "Z"}
    # The standard library's dicts are plain dicts to EvalPlus (MBPP+ task 88's canonical
    # solution returns a Counter): their exact types, taken before any program code runs,
    # are read with dict's own C methods, which no program can redefine.
    dict_types = {dict_t, collections.Counter, collections.OrderedDict, collections.defaultdict}

    class NoForm(Exception):
        pass

    class FormHash:
        # Where an equality form goes: hashed in 64 KiB chunks, so that digesting a large
        # answer takes little more memory than its wire text already did.
        __slots__ = ("hash", "chunk", "size")

        def __init__(self):
            self.hash, self.chunk, self.size = sha256(), [], 0

        def append(self, text):
            self.chunk.append(text)
            self.size += len_(text)
            if self.size >= 65536:
                self.hash.update("".join(self.chunk).encode("ascii"))
                self.chunk, self.size = [], 0

        def extend(self, texts):
            for text in texts:
                self.append(text)

        def hexdigest(self):
            self.hash.update("".join(self.chunk).encode("ascii"))
            self.chunk, self.size = [], 0
            return self.hash.hexdigest()

    def member_digest(x, active):
        form = FormHash()
        encode(x, form, active, True)
        return form.hexdigest()

    # canonical=True writes the value's equality form instead of its wire text (both in
    # grader/py_value.h): numbers by value, sets and dicts as their members' sorted
    # digests; NoForm for a value equal to nothing (a NaN).
    def encode(x, out, active, canonical=False):
        t = type_(x)
        if t is int_t:
            sign = "-" if x < 0 else ""
            digits = "%x" % (-x if x < 0 else x)
            if len_(digits) > 4096:  # py_value.h: kMaxInlineBytes
                out.append("I%s%d:%s" % (sign, len_(digits), sha256(digits.encode()).hexdigest()))
            else:
                out.append("i" + sign + digits + ";")
        elif t is str_t:
            data = x.encode("utf-8", "surrogatepass")
            if len_(data) > 4096:
                out.append("H%d:%s" % (len_(data), sha256(data).hexdigest()))
            else:
                out.append("s" + data.hex() + ";")
        elif t is float_t:
            if not canonical:
                out.append("f" + pack(">d", x).hex())
            elif x != x:
                raise NoForm()
            elif x.is_integer():
                encode(int_t(x), out, active)
            else:
                out.append("f" + pack(">d", x).hex())
        elif t is bool_t:
            if canonical:
                out.append("i1;" if x else "i0;")
            else:
                out.append("T" if x else "F")
        elif t is complex_t:
            if not canonical:
                out.append("c" + pack(">dd", x.real, x.imag).hex())
            elif x.real != x.real or x.imag != x.imag:
                raise NoForm()
            elif x.imag == 0:
                encode(x.real, out, active, True)
            else:
                out.append("c" + pack(">dd", x.real + 0.0, x.imag).hex())
        elif x is None:
            out.append("n")
        elif t in dict_types or t in tags:
            key = id_(x)
            if key in active:
                raise NotPlain("a container that holds itself")
            active.add(key)
            if canonical and (t in dict_types or t is set_t or t is frozenset_t):
                if t in dict_types:
                    members = [member_digest(k, active) + member_digest(v, active)
                               for k, v in dict_t.items(x)]
                else:
                    members = [member_digest(item, active) for item in x]
                members.sort()
                for i in range(1, len_(members)):
                    if members[i][:64] == members[i - 1][:64]:
                        raise NoForm()
                out.append("%s%d:" % ("d" if t in dict_types else "z", len_(members)))
                out.extend(members)
            elif t in dict_types:
                out.append("d%d:" % len_(x))
                for k, v in dict_t.items(x):
                    encode(k, out, active, canonical)
                    encode(v, out, active, canonical)
            else:
                out.append(tags[t] + "%d:" % len_(x))
                for item in x:
                    encode(item, out, active, canonical)
            active.discard(key)
        else:
            plain = numpy_plain.get(t)
            if plain is None:
                raise NotPlain("returned a %s, which is not plain data" % t.__qualname__)
            encode(plain(x), out, active, canonical)

    def is_floats(wire):
        # EvalPlus's "is the expected output floats" (evalplus_oracle.cc IsFloats) on the
        # wire: a float, or a non-empty list/tuple of 17-byte float items only.
        if wire[:1] == b"f":
            return True
        if wire[:1] not in (b"l", b"t"):
            return False
        colon = wire.index(b":")
        n = int_t(wire[1:colon])
        body = wire[colon + 1:]
        return n > 0 and len_(body) == 17 * n and body[::17] == b"f" * n

    class TimeLimit(BaseException):
        pass

    armed = [False]

    def on_timer(signum, frame):
        if armed[0]:
            raise TimeLimit()

    signal.signal(signal.SIGPROF, on_timer)

    _fathom_reliability_guard()

    stream = _fathom_no_read_stream()
    _fathom_trace("harness")
    # contextlib.redirect_stdout and redirect_stderr, spelled out (cheaper in a child).
    saved_stdout, saved_stderr = sys.stdout, sys.stderr
    sys.stdout = stream
    sys.stderr = stream
    try:
        sys.stdin = stream
        try:
            program_globals = {}
            exec(src, program_globals)
            fn = program_globals[entry]
        except base_exception as e:
            send(b"-", 0, b"X", 0, describe(e))
            exit_now(0)
        for phase, inputs in phases:
            phase_limits = limits[phase.decode()] if limits else None
            for index, args in enumerate(inputs):
                if convert is not None:
                    args = convert(args)
                start = cpu_ns()
                try:
                    if phase_limits is not None:
                        armed[0] = True
                        # Re-fires every 50 ms of CPU until disarmed: swallowing it once
                        # does not buy more time.
                        setitimer(itimer_prof, phase_limits[index] / 1000.0, 0.05)
                    out = fn(*args)
                    armed[0] = False
                    setitimer(itimer_prof, 0)
                except base_exception as e:
                    armed[0] = False
                    setitimer(itimer_prof, 0)
                    used = (cpu_ns() - start) // 1000
                    if isinstance_(e, TimeLimit):
                        send(phase, index, b"T", used)
                    else:
                        send(phase, index, b"E", used, describe(e))
                    if details:
                        continue
                    break
                used = (cpu_ns() - start) // 1000
                try:
                    if reference and not_none:
                        out = out is not None
                    elif not_none and type_(out) is not bool_t:
                        out = out is not None
                    parts = []
                    encode(out, parts, set())
                    payload = "".join(parts).encode("ascii")
                    kind = b"V"
                    if digest_over is not None and len_(payload) > digest_over:
                        # Too large to send: its equality digest, its wire size and
                        # whether it is floats (the grader's memory stays flat). The wire
                        # text goes first: the digest streams, so the process holds no
                        # more than it did to send the value.
                        wire_bytes, floats = len_(payload), is_floats(payload)
                        parts = payload = None
                        try:
                            digest = member_digest(out, set()).encode("ascii")
                        except NoForm:
                            digest = b"-"
                        payload = b"%s %d %s" % (digest, wire_bytes, b"F" if floats else b"-")
                        kind = b"W"
                except base_exception as e:
                    if isinstance_(e, NotPlain):
                        why = str_t(e.args[0]).encode("utf-8", "backslashreplace")
                    elif isinstance_(e, RecursionError):
                        why = b"returned a value nested too deeply"
                    else:
                        why = b"returned a value that could not be read: " + describe(e)
                    send(phase, index, b"U", used, why)
                    if details:
                        continue
                    break
                send(phase, index, kind, used, payload)
            send(phase, 0, b"D")
    finally:
        sys.stderr = saved_stderr
        sys.stdout = saved_stdout
    _fathom_trace("program")
    if _FATHOM_TRACE:
        _fathom_trace("record")
        send(b"-", 0, b"Z", 0, _fathom_trace_text().encode("ascii"))
        exit_now(0)
    send(b"-", 0, b"Z")
    exit_now(0)


# EvalPlus stores MBPP+ inputs as JSON, which has no tuples, sets or complex numbers; these
# rebuild the argument lists its loader rebuilds, per task (the table is in io_mode.cc).
def _fathom_deep_tuple(x):
    return tuple(_fathom_deep_tuple(i) for i in x) if isinstance(x, list) else x


_FATHOM_CONVERSIONS = {
    "each_arg_tuple": lambda a: [tuple(x) for x in a],
    "each_arg_items_tuple": lambda a: [[tuple(i) for i in x] for x in a],
    "first_arg_items_tuple": lambda a: [[tuple(i) for i in a[0]], a[1]],
    "second_arg_tuple": lambda a: [a[0], tuple(a[1])],
    "first_arg_items_set": lambda a: [[set(i) if isinstance(i, list) and len(i) else {} for i in a[0]]],
    "float_complex": lambda a: (float(a[0]), complex(a[1])),
    "first_arg_tuple": lambda a: [tuple(a[0])] + a[1:],
    "each_arg_tuple_of_tuples": lambda a: [tuple(tuple(i) for i in x) for x in a],
    "first_arg_tuple_of_items": lambda a: [tuple(tuple(i) if isinstance(i, list) else i for i in a[0])],
    "first_arg_dict_values_tuple": lambda a: [{k: tuple(v) for k, v in a[0].items()}] + a[1:],
    "complex": lambda a: [complex(a[0])],
    "deep_tuple": _fathom_deep_tuple,
}

