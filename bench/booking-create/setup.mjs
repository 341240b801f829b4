// Creates the bench's artists through the API and checks that a hold create answers 201.
//   node setup.mjs artists BASE_URL MANAGER_TOKEN COUNT   -> prints COUNT artist ids, one a line
//   node setup.mjs probe BASE_URL BOOKER_TOKEN ARTIST_ID  -> creates one hold, prints its id
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function post(base, token, path, body) {
  const url = new URL(path, base);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function created(promise, what) {
  const r = await promise;
  if (r.status !== 201) throw new Error(`${what}: HTTP ${r.status} ${r.text}`);
  return JSON.parse(r.text).id;
}

const [cmd, base, token, arg] = process.argv.slice(2);
if (cmd === 'artists') {
  const count = Number(arg);
  const ids = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      ids[i] = await created(
        post(base, token, '/api/v1/artists', { name: `bench artist ${i}`, timezone: 'UTC' }),
        'POST /artists',
      );
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  process.stdout.write(ids.join('\n') + '\n');
} else if (cmd === 'probe') {
  const start = Date.UTC(2029, 0, 1, 10);
  const id = await created(
    post(base, token, '/api/v1/bookings', {
      artistId: arg,
      startTime: new Date(start).toISOString(),
      endTime: new Date(start + 3600e3).toISOString(),
    }),
    'POST /bookings',
  );
  process.stdout.write(id + '\n');
} else {
  console.error('usage: setup.mjs artists|probe BASE_URL TOKEN ARG');
  process.exit(2);
}
agent.destroy();
