# multiprocessing.Pool: the documented choice is "a clean error", not "works": process
# creation is EPERM under seccomp, so Pool() raises PermissionError from os.fork while
# starting its workers, and the uncaught exception exits 1 (nonzero_exit). It must not
# hang (the CPU/wall limits would say so) and must leave nothing behind.
# limits: cpu_time_ms=2000 wall_time_ms=20000
# expect: nonzero_exit
# expect-no-ns: nonzero_exit
# exit-code: 1
# stderr-contains: PermissionError
import multiprocessing
def square(x):
    return x * x
if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        print(pool.map(square, range(10)))
