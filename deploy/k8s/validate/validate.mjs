// Validates deploy/k8s without a cluster (ctest: k8s_manifests).
//
//   1. Renders every kustomization root with `kubectl kustomize` (kustomize v5 inside
//      kubectl); where kubectl is absent it says NOT RUN and checks the base files as they
//      are instead.
//   2. Each rendered object against the Kubernetes OpenAPI schema of its kind
//      (kubernetes-models' generated validators: types, required fields, formats, enums).
//   3. Unknown fields, which those validators let through (the API server rejects them
//      under strict field validation): every object is type-checked by tsc as an object
//      literal of kubernetes-models' TypeScript interface for its kind.
//   4. What deploy/k8s/README.md promises (probes on the health port, grace above the
//      drain, TLS files from Secrets, the shard count equal to the completions, ...).
//   5. A broken object must fail 2 and 3: the validators are not vacuous.
//
// Prints one line per check and "N passed, N failed"; exits 1 on any failure.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const here = path.dirname(fileURLToPath(import.meta.url));
const k8sDir = path.resolve(here, "..");
const roots = [
  "base/serve",
  "base/batch",
  "overlays/dev",
  "overlays/production",
  "overlays/batch-humaneval-plus",
  "overlays/batch-humaneval-plus/merge",
];

let passed = 0;
let failed = 0;
function check(name, ok, detail = "") {
  if (ok) {
    passed++;
    console.log(`ok    ${name}`);
  } else {
    failed++;
    console.log(`FAIL  ${name}${detail ? ": " + detail : ""}`);
  }
}

// apiVersion + kind -> the kubernetes-models module and its interface name.
function modelPath(obj) {
  return `kubernetes-models/${obj.apiVersion}/${obj.kind}`;
}

async function schemaErrors(obj) {
  let mod;
  try {
    mod = await import(modelPath(obj));
  } catch (e) {
    return `no schema for ${obj.apiVersion} ${obj.kind}`;
  }
  const Model = mod[obj.kind];
  try {
    new Model(obj).validate();
    return "";
  } catch (e) {
    return e.message;
  }
}

// tsc over every object as a literal of its interface; file name -> error lines.
function typeErrors(objects) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fathom-k8s-${process.pid}-`));
  try {
    const lines = [];
    objects.forEach(({ obj }, i) => {
      lines.push(`import type { I${obj.kind} as T${i} } from "${modelPath(obj)}";`);
      lines.push(`export const o${i}: T${i} = ${JSON.stringify(obj, null, 1)};`);
    });
    const file = path.join(dir, "objects.ts");
    fs.writeFileSync(file, lines.join("\n") + "\n");
    // Resolve kubernetes-models from this folder's node_modules.
    fs.symlinkSync(path.join(here, "node_modules"), path.join(dir, "node_modules"));
    const tsc = path.join(here, "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync(process.execPath, [tsc, "--noEmit", "--strict", "--skipLibCheck",
      "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", file],
      { encoding: "utf8" });
    const errors = new Map();
    const source = fs.readFileSync(file, "utf8").split("\n");
    for (const line of (r.stdout + r.stderr).split("\n")) {
      const m = line.match(/objects\.ts\((\d+),\d+\): (.*)/);
      if (!m) continue;
      // The object an error line belongs to: the nearest "export const oN" above it.
      let n = Number(m[1]) - 1;
      while (n >= 0 && !source[n].startsWith("export const o")) n--;
      const index = n >= 0 ? Number(source[n].match(/^export const o(\d+)/)[1]) : -1;
      if (!errors.has(index)) errors.set(index, []);
      errors.get(index).push(m[2]);
    }
    if (r.status !== 0 && errors.size === 0) errors.set(-1, [r.stdout + r.stderr]);
    return errors;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function render(root) {
  const out = execFileSync("kubectl", ["kustomize", path.join(k8sDir, root)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return YAML.parseAllDocuments(out).map((d) => d.toJS()).filter(Boolean);
}

function haveKubectl() {
  return spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0;
}

// --- What the README promises -------------------------------------------------------

function flag(args, name) {
  const a = (args || []).find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? undefined : a.slice(name.length + 3);
}

function labelsMatch(selector, labels) {
  return Object.entries(selector || {}).every(([k, v]) => labels && labels[k] === v);
}

function checkPodSecurity(where, pod) {
  for (const c of pod.containers) {
    const sc = c.securityContext || {};
    check(`${where}/${c.name}: no privilege escalation, every capability dropped`,
      sc.allowPrivilegeEscalation === false &&
        JSON.stringify(sc.capabilities?.drop) === JSON.stringify(["ALL"]) &&
        sc.privileged !== true);
  }
  check(`${where}: runs as non-root`, pod.securityContext?.runAsNonRoot === true);
}

function checkServe(where, objects) {
  const dep = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "fathom-serve");
  if (!dep) return;
  const pod = dep.spec.template.spec;
  const c = pod.containers[0];
  const args = c.args;
  check(`${where}: serve listens on every interface`, flag(args, "listen") === "0.0.0.0:50051");
  const health = Number((flag(args, "health-listen") || ":").split(":").pop());
  check(`${where}: --health-listen is set`, health > 0);
  check(`${where}: readiness is a grpc probe of fathom.v1.Grader on the health port`,
    c.readinessProbe?.grpc?.port === health && c.readinessProbe.grpc.service === "fathom.v1.Grader");
  check(`${where}: liveness is a grpc probe of "liveness" (SERVING through the drain)`,
    c.livenessProbe?.grpc?.port === health && c.livenessProbe.grpc.service === "liveness");
  check(`${where}: a startup probe covers calibration`,
    c.startupProbe?.grpc?.port === health &&
      c.startupProbe.periodSeconds * c.startupProbe.failureThreshold >= 300);
  const grace = Number(flag(args, "grace"));
  const delay = Number(flag(args, "drain-delay") || 0);
  check(`${where}: terminationGracePeriodSeconds (${pod.terminationGracePeriodSeconds}) is above --drain-delay + --grace (${delay} + ${grace}) by 10 s or more`,
    grace > 0 && pod.terminationGracePeriodSeconds >= delay + grace + 10);
  check(`${where}: --drain-delay covers a readiness probe period`,
    delay >= (c.readinessProbe?.periodSeconds || 10));
  const seccomp = pod.securityContext?.seccompProfile?.type;
  check(`${where}: seccomp Unconfined or a Localhost profile (the sandbox's namespaces)`,
    seccomp === "Unconfined" || seccomp === "Localhost");
  const req = c.resources?.requests || {};
  const lim = c.resources?.limits || {};
  check(`${where}: CPU and memory requests equal limits (Guaranteed QoS)`,
    req.cpu !== undefined && req.cpu === lim.cpu && req.memory === lim.memory);
  check(`${where}: --workers equals the CPUs given`, flag(args, "workers") === String(lim.cpu));
  if (flag(args, "tls-cert") !== undefined) {
    const mounts = c.volumeMounts || [];
    const fromSecret = (file) => {
      const m = mounts.find((v) => file.startsWith(v.mountPath + "/"));
      const vol = m && pod.volumes.find((v) => v.name === m.name);
      return Boolean(vol?.secret?.secretName);
    };
    for (const f of ["tls-cert", "tls-key", "client-ca"]) {
      check(`${where}: --${f} is a file of a mounted Secret`,
        flag(args, f) !== undefined && fromSecret(flag(args, f)));
    }
  } else {
    check(`${where}: plaintext only in the dev overlay`, where === "overlays/dev");
  }
  checkPodSecurity(where, pod);
  const podLabels = dep.spec.template.metadata.labels;
  check(`${where}: the Deployment's selector matches its pods`,
    labelsMatch(dep.spec.selector.matchLabels, podLabels));
  const svc = objects.find((o) => o.kind === "Service" && o.metadata.name === "fathom-serve");
  check(`${where}: the Service is headless (client-side round_robin) and selects the pods`,
    svc?.spec.clusterIP === "None" && labelsMatch(svc.spec.selector, podLabels));
  const grpcPort = svc?.spec.ports.find((p) => p.name === "grpc");
  check(`${where}: the Service's grpc port targets the container's`,
    grpcPort?.targetPort === "grpc" && c.ports.some((p) => p.name === "grpc" && p.containerPort === 50051));
  const pdb = objects.find((o) => o.kind === "PodDisruptionBudget");
  check(`${where}: the PodDisruptionBudget selects the pods and allows one out at a time`,
    pdb && labelsMatch(pdb.spec.selector.matchLabels, podLabels) && pdb.spec.maxUnavailable === 1);
}

function checkBatch(where, objects) {
  const job = objects.find((o) => o.kind === "Job" && o.metadata.name === "fathom-grade");
  if (job) {
    const pod = job.spec.template.spec;
    const c = pod.containers[0];
    const env = Object.fromEntries((c.env || []).map((e) => [e.name, e]));
    check(`${where}: the grade Job is Indexed`, job.spec.completionMode === "Indexed");
    check(`${where}: grade runs with --shard=auto`, c.args.includes("--shard=auto"));
    check(`${where}: FATHOM_SHARD_COUNT (${env.FATHOM_SHARD_COUNT?.value}) equals completions (${job.spec.completions})`,
      env.FATHOM_SHARD_COUNT?.value === String(job.spec.completions));
    check(`${where}: FATHOM_SHARD_INDEX is the completion index and names the --out folder`,
      env.FATHOM_SHARD_INDEX?.valueFrom?.fieldRef?.fieldPath ===
        "metadata.annotations['batch.kubernetes.io/job-completion-index']" &&
        (flag(c.args, "out") || "").includes("$(FATHOM_SHARD_INDEX)"));
    const seccomp = pod.securityContext?.seccompProfile?.type;
    check(`${where}: grade pods run seccomp Unconfined or Localhost`,
      seccomp === "Unconfined" || seccomp === "Localhost");
    check(`${where}: restartPolicy Never (the Job retries per index)`, pod.restartPolicy === "Never");
    checkPodSecurity(where, pod);
  }
  const merge = objects.find((o) => o.kind === "Job" && o.metadata.name === "fathom-merge");
  if (merge) {
    const pod = merge.spec.template.spec;
    check(`${where}: merge reads the shards' volume`,
      pod.volumes.some((v) => v.persistentVolumeClaim?.claimName === "fathom-run"));
    check(`${where}: merge runs fathom merge over every shard's results`,
      /fathom merge .*shard-\*\/samples_results\.jsonl/.test(pod.containers[0].args.join(" ")));
    checkPodSecurity(where, pod);
  }
}

// --- main ---------------------------------------------------------------------------

const rendered = [];
if (haveKubectl()) {
  for (const root of roots) {
    try {
      const objects = render(root);
      check(`${root}: kubectl kustomize renders ${objects.length} objects`, objects.length > 0);
      rendered.push({ root, objects });
    } catch (e) {
      check(`${root}: kubectl kustomize`, false, String(e.stderr || e.message).trim());
    }
  }
} else {
  console.log("NOT RUN: kubectl (with kustomize) is absent: the overlays were not rendered; " +
    "checking the base files as they are instead");
  for (const root of ["base/serve", "base/batch", "components/merge"]) {
    const objects = [];
    for (const f of fs.readdirSync(path.join(k8sDir, root))) {
      if (!f.endsWith(".yaml") || f === "kustomization.yaml") continue;
      const text = fs.readFileSync(path.join(k8sDir, root, f), "utf8");
      objects.push(...YAML.parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean));
    }
    rendered.push({ root, objects });
  }
}

const all = [];
for (const { root, objects } of rendered) {
  for (const obj of objects) {
    const name = `${root}: ${obj.kind}/${obj.metadata?.name}`;
    const err = await schemaErrors(obj);
    check(`${name} matches the ${obj.apiVersion} ${obj.kind} schema`, err === "", err);
    all.push({ name, obj });
  }
  checkServe(root, objects);
  checkBatch(root, objects);
}

// Unknown fields: one tsc run over every object, plus a broken one that must fail.
const brokenDeployment = (container) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "broken" },
  spec: {
    selector: { matchLabels: { a: "b" } },
    template: {
      metadata: { labels: { a: "b" } },
      spec: { containers: [{ name: "c", image: "i", ...container }] },
    },
  },
});
const broken = brokenDeployment({ bogus: 1 });
const errors = typeErrors([...all, { name: "broken", obj: broken }]);
all.forEach(({ name }, i) => {
  check(`${name} has no unknown field (tsc)`, !errors.has(i), (errors.get(i) || []).join("; "));
});
if (errors.has(-1)) check("tsc ran", false, errors.get(-1).join("\n"));
const brokenErrors = (errors.get(all.length) || []).join("\n");
check("the type check catches an unknown field", /bogus.{0,2}' does not exist/.test(brokenErrors), brokenErrors);
check("the schema check catches a wrong type",
  /grpc\/port must be integer/.test(
    await schemaErrors(brokenDeployment({ readinessProbe: { grpc: { port: "x" } } }))));

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
