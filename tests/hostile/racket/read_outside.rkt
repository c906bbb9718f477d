;; Reading outside the sandbox: the other processes under /proc (the pid namespace shows
;; the sandbox's init and racket only), the grader's root-only secret (not bound in: no
;; such file), the host's home and /etc/shadow (not bound in), and the environment.
;;
;; expect: ok
;; exit-code: 0
;; stdout-contains: pids=(1 2)
;; stdout-contains: secret=<exn>
;; stdout-contains: shadow=<exn>
;; stdout-contains: root=<exn>
;; stdout-not-contains: {{SECRET_VALUE}}
#lang racket
(define (slurp path)
  (with-handlers ([exn:fail? (lambda (e) "<exn>")])
    (string-replace (file->string path) "\u0000" " ")))
(define pids
  (sort (filter-map (lambda (p) (string->number (path->string p)))
                    (directory-list "/proc"))
        <))
(printf "pids=~a\n" pids)
(for ([pid pids])
  (printf "~a cmdline=~a\n" pid (slurp (format "/proc/~a/cmdline" pid)))
  (printf "~a environ=~a\n" pid (slurp (format "/proc/~a/environ" pid))))
(printf "secret=~a\n" (slurp "{{SECRET_PATH}}"))
(printf "shadow=~a\n" (slurp "/etc/shadow"))
(printf "root=~a\n"
        (with-handlers ([exn:fail? (lambda (e) "<exn>")]) (directory-list "/root")))
(printf "env=~a\n" (environment-variables-names (current-environment-variables)))
