'use strict';
// The topology of README "No single point of failure", without Docker, for
// tests and for a person at a terminal (scripts/topology.sh): a Redis
// primary, a replica (or more), 3 Sentinels, 2 or 3 atelier processes and haproxy
// (deploy/haproxy.cfg) in front, all from Debian packages, on loopback ports,
// their files (configs, logs, data) in one directory.
//
// Every process is started through tests/lib/processes.js (spawnLogged), so
// it is registered there and killed when this process ends, also on a
// failure or an interruption; stop() stops exactly what start() started.
//
// The atelier processes get sentinel:// with the three Sentinels (as in
// docker-compose.yml's `ha` profile), unless `redis` says otherwise (a
// function of the topology: primaryUrl() for redis:// to the first primary),
// and --trust-proxy 127.0.0.1 (haproxy connects from there: the per-address
// limits count the client it forwards).

const fs = require('node:fs');
const path = require('node:path');

const {
  REPO, HOST, waitUntil, freePort, makeTempDir, spawnLogged, killChild, RedisProc, httpRequest, ServerProc,
} = require('./processes.js');

const MASTER = 'atelier'; // the name the Sentinels monitor the primary by
const HAPROXY_CFG = path.join(REPO, 'deploy', 'haproxy.cfg');
const SENTINEL_CFG = path.join(REPO, 'deploy', 'sentinel.conf');

// ---------------------------------------------------------------- Redis

// A Redis of the topology, in a directory of its own (the primary's and the
// replica's append-only files must not meet). args: more redis-server arguments.
class TopologyRedis extends RedisProc {
  constructor({ port, dir, args = [] }) {
    fs.mkdirSync(dir, { recursive: true });
    super({ port, dir, external: false, args });
  }

  // role: 'master' or 'slave' (ROLE's first element).
  async role() { return (await this.command('ROLE'))[0]; }

  // Stops it; its directory (data, log) stays with the topology's.
  async close() {
    if (this.proc) await killChild(this.proc, 'SIGTERM');
    this.proc = null;
  }
}

// A Sentinel (redis-sentinel) with its own copy of deploy/sentinel.conf, which
// it rewrites as it learns the replicas, the other Sentinels and failovers:
// the primary's loopback port on the monitor line, the Sentinel's own port and
// directory before it; downAfterMs, when given, over the file's.
class SentinelProc extends TopologyRedis {
  constructor({ port, dir, primaryPort, downAfterMs }) {
    super({ port, dir });
    this.config = path.join(dir, 'sentinel.conf');
    let conf = fs.readFileSync(SENTINEL_CFG, 'utf8')
      .replace(/^sentinel monitor (\S+) \S+ \d+ (\d+)$/m, `sentinel monitor $1 ${HOST} ${primaryPort} $2`);
    if (downAfterMs) conf = conf.replace(/^sentinel down-after-milliseconds (\S+) \d+$/m, `sentinel down-after-milliseconds $1 ${downAfterMs}`);
    fs.writeFileSync(this.config, `port ${port}\nbind ${HOST}\ndir ${dir}\n${conf}`);
  }

  async startProcess() {
    const bin = process.env.ATELIER_REDIS_SENTINEL || '/usr/bin/redis-sentinel';
    this.proc = spawnLogged(bin, [this.config], path.join(this.dir, 'sentinel.log'));
    await this.waitReady();
  }

  // The primary this Sentinel names now: { host, port }.
  async primary() {
    const [host, port] = await this.command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER);
    return { host, port: Number(port) };
  }

  // It knows the replicas and the other Sentinels, and a failover can be authorised.
  async ready(sentinels, replicas = 1) {
    try {
      const known = await this.command('SENTINEL', 'REPLICAS', MASTER);
      const others = await this.command('SENTINEL', 'SENTINELS', MASTER);
      const quorum = await this.command('SENTINEL', 'CKQUORUM', MASTER);
      return known.length >= replicas && others.length >= sentinels - 1 && /^OK/.test(quorum);
    } catch { return false; }
  }
}

// ---------------------------------------------------------------- haproxy

// haproxy with deploy/haproxy.cfg, filled from its environment (the file's
// header): the public port, the stats port, the instances.
class HaproxyProc {
  constructor({ port, statsPort, dir, instances }) {
    this.port = port;
    this.statsPort = statsPort;
    this.dir = dir;
    this.instances = instances; // ports of the atelier processes, in order: atelier1, atelier2...
    this.proc = null;
  }

  get url() { return `http://${HOST}:${this.port}`; }
  get wsUrl() { return `ws://${HOST}:${this.port}/ws`; }
  get alive() { return !!(this.proc && !this.proc.exitInfo); }
  get env() {
    const env = { ATELIER_HAPROXY_BIND: `${HOST}:${this.port}`, ATELIER_HAPROXY_STATS: `${HOST}:${this.statsPort}` };
    this.instances.forEach((p, i) => { env[`ATELIER_INSTANCE_${i + 1}`] = `${HOST}:${p}`; });
    return env;
  }

  async start() {
    const bin = process.env.ATELIER_HAPROXY || '/usr/sbin/haproxy';
    // -db: in the foreground, so that the process started is the one that serves (and is stopped).
    this.proc = spawnLogged(bin, ['-db', '-f', HAPROXY_CFG], path.join(this.dir, 'haproxy.log'), this.env);
    await waitUntil(async () => {
      if (!this.alive) throw new Error(`haproxy exited ${JSON.stringify(this.proc.exitInfo)}:\n${this.proc.tail.join('\n')}`);
      const s = await this.servers().catch(() => null);
      return s && this.instances.every((_, i) => s[`atelier${i + 1}`] === 'UP');
    }, 20000, 'haproxy to find every atelier process up', 100);
  }

  // Each server's status on haproxy's stats page: { atelier1: 'UP', atelier2: 'DOWN', ... }.
  async servers() {
    const r = await httpRequest(this.statsPort, 'GET', '/;csv', { timeoutMs: 2000 });
    if (r.status !== 200) throw new Error(`haproxy stats: ${r.status}`);
    const out = {};
    for (const line of r.text.split('\n')) {
      const [px, sv, ...rest] = line.split(',');
      if (px === 'atelier' && /^atelier\d+$/.test(sv)) out[sv] = rest[15]; // the 18th column: status
    }
    return out;
  }

  http(method, urlPath, opts) { return httpRequest(this.port, method, urlPath, opts); }

  async stop() {
    if (this.proc) await killChild(this.proc, 'SIGTERM');
    this.proc = null;
  }
}

// ---------------------------------------------------------------- the whole

class Topology {
  constructor(dir) {
    this.dir = dir;
    this.primary = null;       // TopologyRedis, the primary at start
    this.replicas = [];        // TopologyRedis, replicating it
    this.replica = null;       // the first of them
    this.sentinels = [];       // SentinelProc
    this.servers = [];         // ServerProc (or options.ServerClass), atelier1, atelier2...
    this.haproxy = null;       // HaproxyProc
  }

  // instances: atelier processes (2 or 3); dir: where the files go (default a
  // temporary directory, removed at exit unless a test failed);
  // atelierArgs: more server arguments; ServerClass, ProxyClass: the classes of
  // the servers and of haproxy (the integration harness' have its API calls); webRoot: the
  // web client they serve; redis(topology): the URL they are given (default
  // the Sentinels'); downAfterMs: Sentinel's down-after-milliseconds (default:
  // deploy/sentinel.conf's, 1000); quorum: deploy/sentinel.conf's (2);
  // replicas: how many (2 for `--replicas 1` to keep writing after a failover:
  // README, "Replicas and failover").
  static async start({
    instances = 2, dir = null, atelierArgs = [], ServerClass = ServerProc, ProxyClass = HaproxyProc, webRoot,
    redis = (t) => t.sentinelUrl(), downAfterMs = null, sentinels = 3, replicas = 1,
  } = {}) {
    if (instances < 1 || instances > 3) throw new Error('deploy/haproxy.cfg names 1 to 3 instances');
    const t = new Topology(dir ? path.resolve(dir) : makeTempDir('atelier-topology-'));
    fs.mkdirSync(t.dir, { recursive: true });
    try {
      t.primary = new TopologyRedis({ port: await freePort(), dir: path.join(t.dir, 'primary') });
      await t.primary.startProcess();
      for (let i = 0; i < replicas; i++) {
        const r = new TopologyRedis({
          port: await freePort(), dir: path.join(t.dir, i ? `replica${i + 1}` : 'replica'), args: ['--replicaof', HOST, String(t.primary.port)],
        });
        t.replicas.push(r);
        await r.startProcess();
      }
      t.replica = t.replicas[0];
      for (let i = 0; i < sentinels; i++) {
        const s = new SentinelProc({
          port: await freePort(), dir: path.join(t.dir, `sentinel${i + 1}`), primaryPort: t.primary.port, downAfterMs,
        });
        t.sentinels.push(s);
        await s.startProcess();
      }
      await waitUntil(() => t.replicaInSync(), 15000, 'the replicas in sync with the primary', 100);
      const redisUrl = redis(t);
      for (let i = 0; i < instances; i++) {
        const s = new ServerClass({
          redisPort: t.primary.port, port: await freePort(), dir: t.dir, webRoot,
          args: ['--redis', redisUrl, '--trust-proxy', HOST, ...atelierArgs],
        });
        t.servers.push(s);
        await s.start();
      }
      t.haproxy = new ProxyClass({
        port: await freePort(), statsPort: await freePort(), dir: t.dir, instances: t.servers.map((s) => s.port),
      });
      await t.haproxy.start();
      // Sentinels find each other through the primary (a hello every 2 s): last, as it takes longest.
      await waitUntil(async () => (await Promise.all(t.sentinels.map((s) => s.ready(sentinels, replicas)))).every(Boolean),
        20000, 'every Sentinel to know the replica and the others', 200);
    } catch (e) {
      await t.stop().catch(() => {});
      throw e;
    }
    return t;
  }

  primaryUrl() { return `redis://${HOST}:${this.primary.port}`; }
  sentinelUrl() { return `sentinel://${this.sentinels.map((s) => `${HOST}:${s.port}`).join(',')}/${MASTER}`; }
  get url() { return this.haproxy.url; }
  get wsUrl() { return this.haproxy.wsUrl; }

  async replicaInSync() {
    try {
      const infos = await Promise.all(this.replicas.map((r) => r.command('INFO', 'replication')));
      return infos.every((info) => /master_link_status:up/.test(info));
    } catch { return false; }
  }

  // Every Redis of the group, primary first: what a test looks the current primary up among.
  get redises() { return [this.primary, ...this.replicas].filter(Boolean); }

  // The primary once the group has settled: every running Sentinel names the
  // same Redis (other than notPort), it says it is a primary, and every other
  // running Redis replicates it with its link up. A failover may be followed
  // by another (a new primary slow to answer for down-after-milliseconds on a
  // busy machine): what the Sentinels end with is what counts.
  async settledPrimary({ notPort = null, timeoutMs = 60000 } = {}) {
    let last = '';
    return waitUntil(async () => {
      const live = this.sentinels.filter((s) => s.proc);
      const named = await Promise.all(live.map((s) => s.primary().then((p) => p.port, () => null)));
      last = `Sentinels name ${named.join(' ')}`;
      if (!named[0] || !named.every((p) => p === named[0]) || named[0] === notPort) return null;
      const primary = this.redises.find((r) => r.port === named[0] && r.proc);
      const role = primary && await primary.command('ROLE').catch(() => null);
      if (!role || role[0] !== 'master') return null;
      const others = this.redises.filter((r) => r !== primary && r.proc);
      const infos = await Promise.all(others.map((r) => r.command('INFO', 'replication').catch(() => '')));
      last += `; replicas: ${infos.map((i) => (i.match(/master_port:\d+|master_link_status:\w+/g) || []).join(',')).join(' ')}`;
      return infos.every((i) => i.includes(`master_port:${primary.port}\r`) && /master_link_status:up/.test(i)) ? primary : null;
    }, timeoutMs, 'the Redis group to settle on a primary', 100).catch((e) => { e.message += ` (${last})`; throw e; });
  }

  // The ports, for a person or a script (scripts/topology.sh prints them).
  describe() {
    return {
      dir: this.dir,
      haproxy: this.haproxy && this.haproxy.port,
      stats: this.haproxy && this.haproxy.statsPort,
      primary: this.primary && this.primary.port,
      replica: this.replica && this.replica.port,
      replicas: this.replicas.map((r) => r.port),
      sentinels: this.sentinels.map((s) => s.port),
      atelier: this.servers.map((s) => s.port),
      sentinel_url: this.sentinels.length ? this.sentinelUrl() : null,
      pids: this.pids(),
    };
  }

  // Every process started, by what it is: what stop() stops.
  pids() {
    const pid = (x) => (x && x.proc && !x.proc.exitInfo ? x.proc.pid : null);
    return {
      haproxy: pid(this.haproxy),
      atelier: this.servers.map(pid),
      sentinels: this.sentinels.map(pid),
      replicas: this.replicas.map(pid),
      primary: pid(this.primary),
    };
  }

  // Stops what start() started, front to back: haproxy, the atelier
  // processes (SIGTERM: a clean stop), the Sentinels (before the Redis they
  // watch, so that no failover starts), the replica, the primary.
  async stop() {
    if (this.haproxy) await this.haproxy.stop();
    for (const s of this.servers) await s.stop();
    for (const s of this.sentinels) await s.close();
    for (const r of this.replicas) await r.close();
    if (this.primary) await this.primary.close();
  }
}

module.exports = { Topology, TopologyRedis, SentinelProc, HaproxyProc, MASTER };

// ---------------------------------------------------------------- command line

// node tests/lib/topology.js run DIR [INSTANCES]: starts the topology with its
// files in DIR, writes DIR/topology.json (the ports and pids) once every part
// is ready, and stays in the foreground until SIGTERM or SIGINT, then stops
// what it started and exits. scripts/topology.sh runs it in the background.
async function main([cmd, dir, instances = '2']) {
  if (cmd !== 'run' || !dir || !/^[1-3]$/.test(instances)) {
    process.stderr.write('usage: node tests/lib/topology.js run DIR [INSTANCES (1-3, default 2)]\n');
    process.exit(2);
  }
  // Our own stop replaces processes.js' (which kills at once): a clean stop, then exit.
  let stopping = null;
  const stop = () => {
    stopping = stopping || (t ? t.stop() : Promise.resolve()).finally(() => process.exit(0));
  };
  let t = null;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.removeAllListeners(sig);
    process.once(sig, stop);
  }
  const json = path.join(dir, 'topology.json');
  fs.rmSync(json, { force: true });
  t = await Topology.start({ dir, instances: Number(instances), webRoot: path.join(REPO, 'web-client', 'dist') });
  if (stopping) return;
  const d = t.describe();
  fs.writeFileSync(`${json}.tmp`, `${JSON.stringify(d, null, 2)}\n`);
  fs.renameSync(`${json}.tmp`, json);
  process.stdout.write(`${JSON.stringify(d)}\n`);
  setInterval(() => {}, 1 << 30); // until a signal
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`topology: ${e.stack || e.message}\n`);
    process.exit(1);
  });
}
