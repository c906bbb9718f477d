// Reading outside the work dir: /proc shows only the run's own processes (init and
// node), the grader's secret and the host's /etc/shadow are not in the sandbox, and
// nothing under /usr can be written.
//
// expect: ok
// exit-code: 0
// stdout-contains: pids=1,2
// stdout-contains: secret=<ENOENT>
// stdout-contains: shadow=<ENOENT>
// stdout-contains: write-usr=<EROFS>
// stdout-not-contains: {{SECRET_VALUE}}
declare var require: any;
const fs = require('fs');
const attempt = (f: () => string): string => { try { return f(); } catch (e: any) { return `<${e.code}>`; } };
const pids: string[] = fs.readdirSync('/proc').filter((n: string) => /^\d+$/.test(n)).sort();
console.log(`pids=${pids.join(',')}`);
for (const pid of pids) {
  console.log(`${pid} cmdline=${attempt(() => fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' '))}`);
}
console.log(`secret=${attempt(() => fs.readFileSync('{{SECRET_PATH}}', 'latin1'))}`);
console.log(`shadow=${attempt(() => fs.readFileSync('/etc/shadow', 'latin1'))}`);
console.log(`write-usr=${attempt(() => { fs.writeFileSync('/usr/fathom-hostile', 'x'); return 'written'; })}`);
