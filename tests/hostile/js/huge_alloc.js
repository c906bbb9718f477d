// Keeps allocating 16 MiB buffers (filled, so touched): node's heap flag is above the
// memory limit, so the cgroup's limit ends the run as memory_limit.
//
// expect: memory_limit
// limits: memory_bytes=268435456 wall_time_ms=20000
const kept = [];
for (;;) kept.push(Buffer.alloc(1 << 24, 1));
