// bench/availability/load.mjs: the HTTP client of bench/availability/run, and the windows it asks for.
//
//   node load.mjs windows --base ISO --span-days D --count N [--window-days 31]
//       prints N windows "from to" (RFC 3339, UTC), from = base + floor(k * (D - window) days / N)
//       rounded down to the minute, k = 0..N-1: distinct, evenly spread over the data range.
//   node load.mjs get --url BASE_URL --token JWT --artist ID --windows FILE [--concurrency C]
//       [--passes P] [--order file|shuffle] [--seed S] [--inspect] [--label NAME] [--raw FILE]
//       requests GET /api/v1/artists/ID/schedule?from&to for every window of FILE, P times,
//       from C keep-alive connections (each one request at a time), and prints one line
//       "BENCH label=NAME requests=... p50_us=... p99_us=... mean_us=... max_us=... non200=..."
//       with the client-observed latency (process.hrtime.bigint() from just before the request
//       is written to the end of the response body), the average response size and this
//       process's CPU time (cpu_ms). --inspect
//       parses every body (outside the timed span) and adds segments, bookings and states per
//       response. --raw writes every latency (us), one per line.
import http from 'node:http';
import fs from 'node:fs';

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const key = a.slice(2);
    if (key === 'inspect') out.inspect = true;
    else out[key] = argv[++i];
  }
  return out;
}

const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');

function windows(o) {
  const base = Date.parse(o.base);
  const span = Number(o['span-days']);
  const count = Number(o.count);
  const windowDays = Number(o['window-days'] ?? 31);
  if (!Number.isFinite(base) || !(span > windowDays) || !(count > 0)) throw new Error('windows: bad arguments');
  const minutes = (span - windowDays) * 1440;
  const lines = [];
  for (let k = 0; k < count; k++) {
    const from = base + Math.floor((k * minutes) / count) * 60e3;
    lines.push(`${iso(from)} ${iso(from + windowDays * 86400e3)}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

// mulberry32: a small seeded PRNG, so that every run asks in the same order.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1));
  return sorted[i];
}

async function get(o) {
  const url = new URL(o.url);
  const concurrency = Number(o.concurrency ?? 1);
  const passes = Number(o.passes ?? 1);
  const list = fs
    .readFileSync(o.windows, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '));
  let order = list.map((_, i) => i);
  if ((o.order ?? 'shuffle') === 'shuffle') {
    const rnd = prng(Number(o.seed ?? 1));
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
  }
  const jobs = [];
  for (let p = 0; p < passes; p++) for (const i of order) jobs.push(list[i]);

  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, noDelay: true });
  const headers = { authorization: `Bearer ${o.token}`, accept: 'application/json' };
  const lat = new Float64Array(jobs.length);
  let bytes = 0;
  let non200 = 0;
  let firstError = '';
  const inspect = { n: 0, segments: 0, bookings: 0, minB: Infinity, maxB: 0, states: {} };

  const one = (from, to) =>
    new Promise((resolve, reject) => {
      const path = `/api/v1/artists/${o.artist}/schedule?from=${from}&to=${to}`;
      const t0 = process.hrtime.bigint();
      const req = http.request(
        { host: url.hostname, port: url.port, path, method: 'GET', agent, headers },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const t1 = process.hrtime.bigint();
            resolve({ us: Number(t1 - t0) / 1000, status: res.statusCode, body: Buffer.concat(chunks) });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });

  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < jobs.length) {
      const k = next++;
      const [from, to] = jobs[k];
      const r = await one(from, to);
      lat[k] = r.us;
      bytes += r.body.length;
      if (r.status !== 200) {
        non200++;
        if (!firstError) firstError = `${r.status} ${r.body.toString('utf8', 0, 300)}`;
        continue;
      }
      if (o.inspect) {
        const doc = JSON.parse(r.body.toString('utf8'));
        const ids = new Set();
        for (const s of doc.data) {
          inspect.states[s.state] = (inspect.states[s.state] ?? 0) + 1;
          for (const id of s.bookingIds) ids.add(id);
        }
        inspect.n++;
        inspect.segments += doc.data.length;
        inspect.bookings += ids.size;
        inspect.minB = Math.min(inspect.minB, ids.size);
        inspect.maxB = Math.max(inspect.maxB, ids.size);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage();
  agent.destroy();

  const sorted = Array.from(lat).sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  const f = (v) => v.toFixed(1);
  let line =
    `BENCH label=${o.label ?? 'get'} requests=${jobs.length} concurrency=${concurrency} ` +
    `seconds=${seconds.toFixed(3)} rps=${(jobs.length / seconds).toFixed(1)} ` +
    `p50_us=${f(percentile(sorted, 0.5))} p90_us=${f(percentile(sorted, 0.9))} ` +
    `p99_us=${f(percentile(sorted, 0.99))} mean_us=${f(mean)} min_us=${f(sorted[0])} ` +
    `max_us=${f(sorted[sorted.length - 1])} non200=${non200} bytes_avg=${Math.round(bytes / jobs.length)} ` +
    `cpu_ms=${((cpu.user + cpu.system) / 1000).toFixed(1)}`;
  if (o.inspect && inspect.n > 0) {
    const states = Object.entries(inspect.states)
      .map(([k, v]) => `${k}:${(v / inspect.n).toFixed(1)}`)
      .join(',');
    line +=
      ` segments_avg=${(inspect.segments / inspect.n).toFixed(1)} bookings_avg=${(inspect.bookings / inspect.n).toFixed(1)}` +
      ` bookings_min=${inspect.minB} bookings_max=${inspect.maxB} states_avg=${states}`;
  }
  process.stdout.write(line + '\n');
  if (o.raw) fs.writeFileSync(o.raw, Array.from(lat, (v) => v.toFixed(1)).join('\n') + '\n');
  if (non200 > 0) {
    process.stderr.write(`${non200} responses were not 200; the first: ${firstError}\n`);
    process.exitCode = 1;
  }
}

const [cmd, ...rest] = process.argv.slice(2);
const o = args(rest);
if (cmd === 'windows') windows(o);
else if (cmd === 'get') await get(o);
else {
  process.stderr.write('usage: load.mjs windows|get --option value ... (see the comment at the top)\n');
  process.exit(2);
}
