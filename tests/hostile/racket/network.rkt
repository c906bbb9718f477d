;; A TCP connection to the test's loopback server: socket() fails with EACCES under the
;; native profile (and the net namespace is empty anyway); tcp-connect raises and the
;; uncaught exception exits 1.
;;
;; expect: nonzero_exit
;; exit-code: 1
;; stderr-contains: tcp-connect: connection failed
;; stderr-contains: Permission denied
;; stdout-not-contains: connected
#lang racket
(define-values (in out) (tcp-connect "127.0.0.1" {{PORT}}))
(displayln "connected")
