// Contention: COUNT concurrent `POST /api/v1/bookings {status: "pencil"}` of one artist's one
// slot, ROUNDS times (a fresh slot each round). Exactly one create per round must answer 201,
// every other one 409. Latency is measured per request on keep-alive connections opened
// beforehand (COUNT concurrent GET /healthz), so it holds no TCP connect.
//   node contention.mjs BASE_URL BOOKER_TOKEN ARTIST_ID COUNT ROUNDS
// Prints one line per round and a machine-readable summary for ./run:
//   BENCH rounds=R requests=N wins=W ok=true|false p50_409_ms=.. p99_409_ms=.. max_409_ms=..
//         winner_ms=.. codes=booking_conflict:N,...
// Exits 1 when a round does not have exactly one 201 and only 409s besides.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const [base, token, artistId, countArg, roundsArg] = process.argv.slice(2);
const count = Number(countArg ?? 200);
const rounds = Number(roundsArg ?? 5);
const agent = new http.Agent({ keepAlive: true, maxSockets: count, maxFreeSockets: count });

function send(method, path, body) {
  const data = body === undefined ? undefined : JSON.stringify(body);
  const headers = { authorization: `Bearer ${token}` };
  if (data !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(data);
  }
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(new URL(path, base), { method, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

// Open the connections first.
await Promise.all(Array.from({ length: count }, () => send('GET', '/healthz')));

const lat409 = [];
const winners = [];
const codes = {};
let ok = true;
for (let r = 0; r < rounds; r++) {
  const start = Date.UTC(2031, 0, 1 + r, 10);
  const body = {
    artistId,
    startTime: new Date(start).toISOString(),
    endTime: new Date(start + 2 * 3600e3).toISOString(),
    status: 'pencil',
  };
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: count }, () => send('POST', '/api/v1/bookings', body)));
  const wall = performance.now() - t0;
  let wins = 0;
  let others = 0;
  for (const res of results) {
    if (res.status === 201) {
      wins++;
      winners.push(res.ms);
    } else if (res.status === 409) {
      lat409.push(res.ms);
      const code = JSON.parse(res.text).code;
      codes[code] = (codes[code] ?? 0) + 1;
    } else {
      others++;
      codes[`http_${res.status}`] = (codes[`http_${res.status}`] ?? 0) + 1;
    }
  }
  const roundOk = wins === 1 && others === 0;
  ok &&= roundOk;
  const sorted = results.filter((x) => x.status === 409).map((x) => x.ms).sort((a, b) => a - b);
  console.log(
    `round ${r + 1}: ${wins} x 201, ${sorted.length} x 409, ${others} other; ` +
      `409 p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, ` +
      `max ${sorted.at(-1)?.toFixed(1)} ms; all answered in ${wall.toFixed(1)} ms${roundOk ? '' : '  <-- FAILED'}`,
  );
}
lat409.sort((a, b) => a - b);
console.log(
  `BENCH rounds=${rounds} requests=${rounds * count} wins=${winners.length} ok=${ok} ` +
    `p50_409_ms=${percentile(lat409, 50).toFixed(2)} p99_409_ms=${percentile(lat409, 99).toFixed(2)} ` +
    `max_409_ms=${(lat409.at(-1) ?? NaN).toFixed(2)} ` +
    `winner_ms=${winners.map((w) => w.toFixed(1)).join('/')} ` +
    `codes=${Object.entries(codes).map(([k, v]) => `${k}:${v}`).join(',')}`,
);
agent.destroy();
process.exit(ok ? 0 : 1);
