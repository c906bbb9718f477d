// Keeps allocating 16 MiB buffers (filled, so touched): node's heap flag is above the
// memory limit, so the cgroup's limit ends the run as memory_limit.
const kept = [];
for (;;) kept.push(Buffer.alloc(1 << 24, 1));
