// A JNI-free Java program surveying /proc for other processes, the host's mounts and the
// grader's secrets: the pid namespace shows the run's own processes only (the sandbox's
// init as pid 1 and the JVM), and nothing of the host's environment is readable.
//
// expect: ok
// exit-code: 0
// stdout-contains: pids=[1, 2]
// stdout-contains: secret=<NoSuchFileException>
// stdout-not-contains: {{SECRET_VALUE}}
import java.nio.file.*;
import java.util.*;

public class Main {
  static String read(String path) {
    try {
      return new String(Files.readAllBytes(Paths.get(path))).replace('\0', ' ');
    } catch (Exception e) {
      return "<" + e.getClass().getSimpleName() + ">";
    }
  }

  public static void main(String[] args) throws Exception {
    List<String> pids = new ArrayList<>();
    try (DirectoryStream<Path> d = Files.newDirectoryStream(Paths.get("/proc"))) {
      for (Path p : d) {
        String n = p.getFileName().toString();
        if (n.chars().allMatch(Character::isDigit)) pids.add(n);
      }
    }
    Collections.sort(pids);
    System.out.println("pids=" + pids);
    for (String pid : pids) {
      System.out.println(pid + " cmdline=" + read("/proc/" + pid + "/cmdline"));
      System.out.println(pid + " environ=" + read("/proc/" + pid + "/environ"));
    }
    System.out.println("secret=" + read("{{SECRET_PATH}}"));
    System.out.println("env=" + System.getenv());
    System.out.println("mounts=" + read("/proc/self/mountinfo").split("\n").length);
  }
}
