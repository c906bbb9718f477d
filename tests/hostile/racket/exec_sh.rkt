;; execv("/bin/sh") in place, through the FFI (Racket has no exec of its own): the native
;; profile kills the run at the execve (the only exec it allows is the sandbox's own of
;; racket). "escaped" and "survived" are never printed.
;;
;; expect: syscall_violation
;; syscall: 59 execve
;; stdout-contains: calling execv
;; stdout-not-contains: escaped
;; stdout-not-contains: survived
#lang racket
(require ffi/unsafe)
(define execv
  (get-ffi-obj "execv" #f (_fun _string/utf-8 (_list i _string/utf-8) -> _int)))
(displayln "calling execv")
(flush-output)
(execv "/bin/sh" (list "/bin/sh" "-c" "echo escaped" #f))
(displayln "survived")
