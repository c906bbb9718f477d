// D surveying /proc for other processes, and the grader's secret: only the run's own
// processes are visible (init and the program), nothing of the host.
//
// expect: ok
// exit-code: 0
// stdout-contains: pids=1,2
// stdout-contains: secret=<FileException>
// stdout-not-contains: {{SECRET_VALUE}}
import std.algorithm, std.array, std.ascii, std.conv, std.file, std.path, std.stdio;
string read(string path)
{
    try return (cast(string) std.file.read(path)).replace("\0", " ");
    catch (Exception e) return "<" ~ typeid(e).name.split(".")[$ - 1] ~ ">";
}
void main()
{
    auto pids = dirEntries("/proc", SpanMode.shallow).map!(e => baseName(e.name))
        .filter!(n => n.all!isDigit).map!(to!int).array.sort.array;
    writeln("pids=", pids.map!(to!string).join(","));
    foreach (pid; pids)
        writeln(pid, " cmdline=", read("/proc/" ~ pid.to!string ~ "/cmdline"));
    writeln("secret=", read("{{SECRET_PATH}}"));
}
