/* The Python zygote's memory in transparent huge pages (part of fathom_zygote_child.so;
 * see sandbox/zygote.h).
 *
 * Why. A fork copies one page-table entry for every 4 KiB page of the zygote's private
 * memory that is present, about 2,500 of them for the 9.9 MB a zygote holds after its
 * imports, and every child's exit tears them down again: on our 2-core VM that was
 * about 0.6 ms of kernel time per run, a third of a trivial program's whole cost. A 2 MiB
 * page mapped whole (by its PMD) is one entry to copy and one to tear down. A child that
 * writes into one splits only that mapping, into entries that still point into the same
 * large folio (which the kernel copies and zaps in batches), and copies only the 4 KiB
 * it writes, as before. Nothing changes for the program: the same bytes at the same
 * addresses, the same isolation.
 *
 * How. Most of the zygote's memory is in two places, neither of them 2 MiB-aligned by
 * itself:
 *  - the allocator's heap (brk). Before the interpreter starts, its start is moved up to
 *    the next 2 MiB boundary (the skipped addresses are never touched);
 *  - CPython's object arenas (1 MiB each, one mmap apiece, so scattered and unaligned).
 *    Before the interpreter starts, an arena allocator of our own takes them from one
 *    2 MiB-aligned reservation (PROT_NONE until an arena is handed out, so it counts
 *    neither as memory nor against RLIMIT_DATA); past its 64 slots, or for any other
 *    size, arenas are mmapped as CPython does.
 * Both need to run before the interpreter allocates, so the library is preloaded
 * (LD_PRELOAD) into the zygote's interpreter; its constructor does nothing in a process
 * where CPython is already initialised (the ctypes load later) or absent. Just before the
 * first fork, fathom_zygote_collapse() asks the kernel (MADV_COLLAPSE, Linux 6.1) to
 * put every whole 2 MiB unit of both into a huge page.
 *
 * The interpreter's code goes into huge pages too, by another route (code_in_huge_pages).
 *
 * What it costs: the zygote's resident memory grows by the holes a collapse fills (at
 * most the free part of the units it collapses: 9.9 -> 12.4 MB measured) and by its own
 * copy of the interpreter's code (4 MiB for Debian's python3.11), shared by its
 * children.
 * Where the kernel cannot (no THP, THP "never", an older kernel, no memory for a huge
 * page), the collapse fails and everything runs as before.
 *
 * Plain C and libc only, like zygote_child.c.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

enum { kHugePage = 2 << 20, kArenaSize = 1 << 20, kArenaSlots = 64 };

/* CPython's PyObjectArenaAllocator (Include/cpython/objimpl.h), stable since 3.4. */
struct arena_allocator {
  void* ctx;
  void* (*alloc)(void* ctx, size_t size);
  void (*free)(void* ctx, void* ptr, size_t size);
};

/* The reservation: kArenaSlots arenas, 2 MiB-aligned. Bit i of `arena_used`: slot i holds
 * an arena. Arenas come and go under an interpreter's GIL, but interpreters with a GIL
 * of their own (Python 3.12+) share this allocator: the bits change atomically. */
static char* arena_region;
static uint64_t arena_used;

static int in_region(const char* p) {
  return arena_region != NULL && p >= arena_region &&
         p < arena_region + (size_t)kArenaSlots * kArenaSize;
}

static void* arena_alloc(void* ctx, size_t size) {
  (void)ctx;
  uint64_t used = __atomic_load_n(&arena_used, __ATOMIC_ACQUIRE);
  while (size == kArenaSize && arena_region != NULL && used != UINT64_MAX) {
    const int i = __builtin_ctzll(~used);  /* the lowest free slot: arenas pack */
    const uint64_t bit = 1ULL << i;
    if (!__atomic_compare_exchange_n(&arena_used, &used, used | bit, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
      continue;  /* another interpreter took a slot (own-GIL subinterpreters): `used` is new */
    }
    char* p = arena_region + (size_t)i * kArenaSize;
    if (mprotect(p, kArenaSize, PROT_READ | PROT_WRITE) == 0) return p;
    __atomic_fetch_and(&arena_used, ~bit, __ATOMIC_ACQ_REL);
    break;
  }
  void* p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

static void arena_free(void* ctx, void* ptr, size_t size) {
  (void)ctx;
  if (in_region(ptr)) {
    /* Back to a fresh PROT_NONE reservation: the pages are freed, as munmap frees them. */
    if (mmap(ptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
             0) != MAP_FAILED) {
      __atomic_fetch_and(&arena_used, ~(1ULL << (((char*)ptr - arena_region) / kArenaSize)),
                         __ATOMIC_ACQ_REL);
    }
    return;
  }
  munmap(ptr, size);
}

static uintptr_t round_up(uintptr_t x, uintptr_t to) { return (x + to - 1) & ~(to - 1); }

/* A private anonymous mapping of `len` bytes that starts on a 2 MiB boundary (what the
 * kernel needs to map it by PMDs), or NULL. */
static char* map_aligned(size_t len, int prot) {
  char* raw = mmap(NULL, len + kHugePage, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
  if (raw == MAP_FAILED) return NULL;
  char* start = (char*)round_up((uintptr_t)raw, kHugePage);
  if (start != raw) munmap(raw, (size_t)(start - raw));
  munmap(start + len, (size_t)(raw + len + kHugePage - (start + len)));  /* never empty */
  return start;
}

/* One line of /proc/self/maps. */
struct mapping {
  unsigned long lo, hi;
  char perms[5];
  const char* path;  /* "" when anonymous; no newline */
};

/* The next line of `maps` into *m (*line and *cap as getline's: whole lines, so that a
 * long path never splits one). 0 at the end. */
static int next_mapping(FILE* maps, char** line, size_t* cap, struct mapping* m) {
  while (getline(line, cap, maps) > 0) {
    int path_at = 0;
    if (sscanf(*line, "%lx-%lx %4s %*s %*s %*s %n", &m->lo, &m->hi, m->perms, &path_at) != 3) {
      continue;
    }
    char* path = *line + path_at;
    path[strcspn(path, "\n")] = '\0';
    m->path = path;
    return 1;
  }
  return 0;
}

/* Runs when the dynamic linker loads the library: in the zygote's interpreter, where it
 * is preloaded, before CPython's main(). */
__attribute__((constructor)) static void zygote_memory_init(void) {
  int (*is_initialized)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "Py_IsInitialized");
  void (*set_allocator)(struct arena_allocator*) =
      (void (*)(struct arena_allocator*))dlsym(RTLD_DEFAULT, "PyObject_SetArenaAllocator");
  if (is_initialized == NULL || set_allocator == NULL || is_initialized()) return;

  char* brk_now = sbrk(0);
  if (brk_now != (char*)-1) {
    const uintptr_t pad = round_up((uintptr_t)brk_now, kHugePage) - (uintptr_t)brk_now;
    if (pad != 0) (void)sbrk((intptr_t)pad);
  }

  char* start = map_aligned((size_t)kArenaSlots * kArenaSize, PROT_NONE);
  if (start == NULL) return;
  arena_region = start;
  static struct arena_allocator allocator = {NULL, arena_alloc, arena_free};
  set_allocator(&allocator);
}

/* The interpreter's code in huge pages. A child does not inherit the page-table entries
 * of a file mapping (the kernel leaves them to faults), so every child faulted on the
 * interpreter's code and read-only data afresh: about 36 faults of 16 pages each, 4% of
 * all the CPU `fathom serve` used for trivial programs, and as many entries torn down at
 * its exit. Debian's python3 is not position-independent: its read-only segments (ELF
 * header, code, constants) start at 0x400000, on a 2 MiB boundary. Every whole 2 MiB
 * unit of that run is copied into an anonymous huge page and moved (mremap) over the
 * original, read and execute: the same bytes at the same addresses, now one entry per
 * 2 MiB that a fork copies and no child faults on. The units are one read-and-execute
 * mapping, so the header and constants they hold become executable too; a process that
 * runs arbitrary Python gains nothing by that (the sandbox's boundary is the kernel's:
 * seccomp, namespaces, limits), and it is the zygote's and its children's only.
 * Returns the bytes moved; 0 when there is no such unit or any step fails (the code
 * stays where it was). */
static long long code_in_huge_pages(void) {
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return 0;
  exe[n] = '\0';
  FILE* maps = fopen("/proc/self/maps", "re");
  if (maps == NULL) return 0;
  /* The first run of the executable's private, unwritable mappings, without gaps. */
  uintptr_t lo = 0, hi = 0;
  char* line = NULL;
  size_t cap = 0;
  struct mapping m;
  while (next_mapping(maps, &line, &cap, &m)) {
    const int ours = strcmp(m.path, exe) == 0 && m.perms[1] == '-' && m.perms[3] == 'p';
    if (ours && (hi == 0 || m.lo == hi)) {
      if (hi == 0) lo = m.lo;
      hi = m.hi;
    } else if (hi != 0) {
      break;
    }
  }
  free(line);
  fclose(maps);
  const uintptr_t from = round_up(lo, kHugePage), to = hi & ~(uintptr_t)(kHugePage - 1);
  if (hi == 0 || to <= from) return 0;
  const size_t len = to - from;
  char* copy = map_aligned(len, PROT_READ | PROT_WRITE);
  if (copy == NULL) return 0;
  (void)madvise(copy, len, MADV_HUGEPAGE);
  memcpy(copy, (const void*)from, len);
  int whole = 1;
  for (size_t off = 0; off < len; off += kHugePage) {
    if (madvise(copy + off, kHugePage, MADV_COLLAPSE) != 0) whole = 0;
  }
  /* Only whole huge pages are worth it: 4 KiB anonymous pages would each be copied at
   * every fork and torn down at every exit, costlier than the faults they save. */
  if (!whole || mprotect(copy, len, PROT_READ | PROT_EXEC) != 0 ||
      mremap(copy, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void*)from) == MAP_FAILED) {
    munmap(copy, len);
    return 0;
  }
  return (long long)len;
}

/* In the zygote, once, just before its first fork: collapses every whole 2 MiB unit of
 * its heap and of its anonymous private memory (the arenas, and what else happens to be
 * aligned) into a huge page, and moves the interpreter's code into huge pages
 * (code_in_huge_pages). The arena slots up to the end of the last unit in
 * use are opened first (left free), so that unit is whole too. Returns the bytes
 * collapsed (0 where the kernel cannot), or -1 with errno set if /proc/self/maps cannot
 * be read. */
long long fathom_zygote_collapse(void) {
  const uint64_t used = __atomic_load_n(&arena_used, __ATOMIC_ACQUIRE);
  if (arena_region != NULL && used != 0) {
    const int top = 64 - __builtin_clzll(used);  /* slots [0, top) hold the last */
    const size_t end = round_up((size_t)top * kArenaSize, kHugePage);
    for (size_t off = (size_t)top * kArenaSize; off < end && off < (size_t)kArenaSlots * kArenaSize;
         off += kArenaSize) {
      (void)mprotect(arena_region + off, kArenaSize, PROT_READ | PROT_WRITE);
    }
  }
  FILE* maps = fopen("/proc/self/maps", "re");
  if (maps == NULL) return -1;
  long long collapsed = 0;
  char* line = NULL;
  size_t cap = 0;
  struct mapping m;
  while (next_mapping(maps, &line, &cap, &m)) {
    const int heap = strcmp(m.path, "[heap]") == 0;
    const int anonymous = *m.path == '\0';
    if (strcmp(m.perms, "rw-p") != 0 || !(heap || anonymous)) continue;
    const uintptr_t a = round_up(m.lo, kHugePage), b = m.hi & ~(uintptr_t)(kHugePage - 1);
    for (uintptr_t u = a; u < b; u += kHugePage) {
      if (madvise((void*)u, kHugePage, MADV_COLLAPSE) == 0) collapsed += kHugePage;
    }
  }
  free(line);
  fclose(maps);
  return collapsed + code_in_huge_pages();
}
