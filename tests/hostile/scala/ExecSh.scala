// Runtime.exec of /bin/sh: the JVM cannot exec in place, so this is its way to run a
// shell; it ends at the spawn's clone as syscall_violation, before any exec. "escaped"
// is never printed.
//
// expect: syscall_violation
// syscall: 56 clone
// stdout-not-contains: escaped
object Problem {
  def main(args: Array[String]) = {
    val p = Runtime.getRuntime.exec(Array("/bin/sh", "-c", "echo escaped"))
    println(scala.io.Source.fromInputStream(p.getInputStream).mkString)
  }
}
