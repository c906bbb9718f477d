// Keeps allocating 16 MiB arrays (zeroed, so touched): the heap may grow to the memory
// limit (-Xmx is the limit), so the cgroup's limit ends the run as memory_limit before
// the JVM's own OutOfMemoryError could read as a wrong answer.
//
// expect: memory_limit
// limits: memory_bytes=268435456 wall_time_ms=20000
import java.util.ArrayList;

public class Main {
  public static void main(String[] args) {
    ArrayList<long[]> kept = new ArrayList<>();
    for (;;) kept.add(new long[1 << 21]);
  }
}
