// scala.sys.process running /bin/true: the JDK spawns through posix_spawn (a clone without
// CLONE_THREAD, then an exec of jspawnhelper), and the run profile (native) ends the run
// at that clone as syscall_violation. Nothing after it runs; "survived" is never printed.
//
// expect: syscall_violation
// syscall: 56 clone
// stdout-not-contains: survived
import scala.sys.process._

object Problem {
  def main(args: Array[String]) = {
    val code = Seq("/bin/true").!
    println("survived " + code)
  }
}
