# Allocates up to 4 GiB in 100 MB chunks, touching every byte: stopped by the memory limit.
# expect: memory_limit
# limits: memory_bytes=268435456
chunks = []
for i in range(41):
    chunks.append(b"\x01" * (100 * 1024 * 1024))
    print(f"allocated {(i + 1) * 100} MB", flush=True)
print("allocated 4 GiB: no memory limit was enforced")
