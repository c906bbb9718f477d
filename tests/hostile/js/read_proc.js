// Node surveying /proc for other processes, the host's mounts and the grader's secrets:
// only the run's own processes are visible, and nothing of the host's environment.
//
// expect: ok
// exit-code: 0
// stdout-contains: pids=1,2
// stdout-contains: secret=<ENOENT>
// stdout-not-contains: {{SECRET_VALUE}}
const fs = require('fs');
const read = (p) => { try { return fs.readFileSync(p, 'latin1').replace(/\0/g, ' '); } catch (e) { return `<${e.code}>`; } };
const pids = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).sort();
console.log(`pids=${pids.join(',')}`);
for (const pid of pids) {
  console.log(`${pid} cmdline=${read(`/proc/${pid}/cmdline`)}`);
  console.log(`${pid} environ=${read(`/proc/${pid}/environ`)}`);
}
console.log(`secret=${read('{{SECRET_PATH}}')}`);
console.log(`env=${JSON.stringify(process.env)}`);
