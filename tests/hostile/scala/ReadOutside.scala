// Reading outside the sandbox: the other processes under /proc (the pid namespace shows
// the sandbox's init and the JVM only), the grader's root-only secret (not bound in),
// the host's /etc/shadow and /root (not bound in), and the environment.
//
// expect: ok
// exit-code: 0
// stdout-contains: pids=List(1, 2)
// stdout-contains: secret=<NoSuchFileException>
// stdout-contains: shadow=<NoSuchFileException>
// stdout-contains: root=<NoSuchFileException>
// stdout-not-contains: {{SECRET_VALUE}}
import java.nio.file.{Files, Paths}
import scala.collection.JavaConverters._

object Problem {
  def read(path: String): String =
    try new String(Files.readAllBytes(Paths.get(path))).replace('\u0000', ' ')
    catch { case e: Exception => "<" + e.getClass.getSimpleName + ">" }

  def main(args: Array[String]) = {
    val d = Files.newDirectoryStream(Paths.get("/proc"))
    val pids = d.asScala.map(_.getFileName.toString).filter(_.forall(_.isDigit))
      .map(_.toInt).toList.sorted
    d.close()
    println("pids=" + pids)
    for (pid <- pids) {
      println(pid + " cmdline=" + read("/proc/" + pid + "/cmdline"))
      println(pid + " environ=" + read("/proc/" + pid + "/environ"))
    }
    println("secret=" + read("{{SECRET_PATH}}"))
    println("shadow=" + read("/etc/shadow"))
    val root =
      try Files.list(Paths.get("/root")).count().toString
      catch { case e: Exception => "<" + e.getClass.getSimpleName + ">" }
    println("root=" + root)
    println("env=" + System.getenv())
  }
}
