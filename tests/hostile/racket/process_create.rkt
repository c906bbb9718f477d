;; Racket's `system` starting /bin/true: rktio forks (a clone without CLONE_THREAD) after
;; starting a helper thread, and the native profile ends the run at that clone as
;; syscall_violation. Nothing after it runs; "survived" is never printed.
;;
;; expect: syscall_violation
;; syscall: 56 clone
;; stdout-not-contains: survived
#lang racket
(system "/bin/true")
(displayln "survived")
