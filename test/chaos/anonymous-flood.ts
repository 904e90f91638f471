import { bearer } from '../helpers/test-server.ts';
import { openFileLimit, openHostileSocket, type HostileSocket, type SocketFate } from './hostile-sockets.ts';
import { isSuccess, runPacedMix } from './paced-mix.ts';
import { checked, describeLatency, describeTally, formatTable, latencyByKind, loadLatency, tally, timed } from './report.ts';
import type { Scenario } from './stage.ts';

/**
 * Unauthenticated sockets declaring 100 MB bodies on every door that reads one (REST JSON on both
 * trees, /trpc, multipart, a raw PUT), plus slowloris clients (headers dribbled a byte at a time;
 * bodies dribbled, without a key and with another project's key), while a victim project's light
 * calls run paced from the load generator process: they keep p99 < 50 ms and get no error.
 */

const declared = 100 * 1024 * 1024;
const boundary = 'floodboundary';

/** The doors a body goes through, each with the head of a request declaring `declared` bytes and no key. */
const bodyDoors: { door: string; method: string; path: string; contentType: string }[] = [
  { door: 'REST /v1 JSON', method: 'POST', path: '/v1/embeddings', contentType: 'application/json' },
  { door: 'REST /infra JSON', method: 'POST', path: '/infra/ai/embeddings', contentType: 'application/json' },
  { door: '/trpc POST', method: 'POST', path: '/trpc/infra.ai.embeddings.create', contentType: 'application/json' },
  { door: '/trpc batch POST', method: 'POST', path: '/trpc/infra.ai.embeddings.create,infra.ai.documents.chunk?batch=1', contentType: 'application/json' },
  { door: 'multipart parse', method: 'POST', path: '/infra/ai/documents/parse', contentType: `multipart/form-data; boundary=${boundary}` },
  { door: 'multipart transcription', method: 'POST', path: '/v1/audio/transcriptions', contentType: `multipart/form-data; boundary=${boundary}` },
  { door: 'raw PUT object', method: 'PUT', path: '/infra/storage/buckets/sb_flood/objects/big.bin', contentType: 'application/octet-stream' },
];

const head = (method: string, path: string, headers: Record<string, string | number>, end = true) =>
  Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: localhost\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}${end ? '\r\n' : ''}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Group {
  name: string;
  sockets: { door: string; socket: HostileSocket }[];
}

export const anonymousFlood: Scenario = {
  name: 'anonymous-flood',
  summary: 'unauthenticated sockets declaring 100 MB bodies on every door, plus slowloris, while another project keeps p99 < 50 ms and 0 errors',
  timeoutMs: { small: 90_000, full: 180_000 },
  async run(stage) {
    const wanted = stage.pick({ small: { flood: 100, headerDribblers: 20, bodyDribblers: 10 }, full: { flood: 1000, headerDribblers: 200, bodyDribblers: 100 } });
    // Every socket is a file on both ends: stay well inside this process's limit (the server's is the same).
    const room = Math.max(50, Math.floor((openFileLimit() - 500) / 2));
    const total = wanted.flood + wanted.headerDribblers + 2 * wanted.bodyDribblers;
    const scale = Math.min(1, room / total);
    if (scale < 1) stage.print(`the open-file limit (ulimit -n ${openFileLimit()}) allows ${room} sockets: every group scaled by ${scale.toFixed(2)}`);
    const counts = Object.fromEntries(Object.entries(wanted).map(([name, count]) => [name, Math.floor(count * scale)])) as typeof wanted;
    // Full: the shipped timeouts (headers 10 s, an idle body 10 s). Small: shorter, so a short run still sees them act.
    const timeouts = stage.pick({ small: { HTTP_HEADERS_TIMEOUT_MS: '2000', BODY_IDLE_TIMEOUT_MS: '2000' }, full: {} as Record<string, string> });
    const phaseMs = stage.pick({ small: 8000, full: 20_000 });

    const databaseUrl = await stage.database();
    const server = await stage.server({ DATABASE_URL: databaseUrl, ...timeouts });
    const [victimKey, attackerKey] = [await stage.key(databaseUrl, 'victim'), await stage.key(databaseUrl, 'attacker')];
    const port = Number(new URL(server.baseUrl).port);

    const victimHeaders = { ...bearer(victimKey), 'content-type': 'application/json' };
    const victimLoad = (durationMs: number) =>
      runPacedMix(
        [
          { kind: 'GET /v1/models', url: `${server.baseUrl}/v1/models`, headers: bearer(victimKey), ratePerSecond: 25 },
          { kind: 'POST /infra/ai/documents/chunk', url: `${server.baseUrl}/infra/ai/documents/chunk`, method: 'POST', headers: victimHeaders, body: JSON.stringify({ text: 'A short paragraph.\n\nAnother one.' }), ratePerSecond: 25 },
        ],
        durationMs,
      );
    // The same calls on the quiet server first: what the flood's figures compare with (and a warm-up).
    const quiet = loadLatency(await victimLoad(stage.pick({ small: 3000, full: 5000 })));
    stage.print(`victim alone: ${describeLatency(quiet)}`);
    const victim = victimLoad(phaseMs);

    await sleep(500);
    const groups: Group[] = [
      { name: 'anonymous 100 MB bodies', sockets: [] },
      { name: 'slowloris headers', sockets: [] },
      { name: 'anonymous dribbled bodies', sockets: [] },
      { name: 'keyed dribbled bodies (another project)', sockets: [] },
    ];
    const [flood, headerDribblers, anonymousDribblers, keyedDribblers] = groups as [Group, Group, Group, Group];
    const dribbledBody = (method: string, path: string, contentType: string, authorization?: string) =>
      head(method, path, { 'Content-Type': contentType, 'Content-Length': 1024 * 1024, ...(authorization ? { Authorization: authorization } : {}) });
    // The slow clients connect first and stay for the whole phase: the header timeout has time to act.
    for (let index = 0; index < counts.headerDribblers; index++) {
      const { path } = bodyDoors[index % bodyDoors.length]!;
      headerDribblers.sockets.push({ door: path, socket: openHostileSocket(port, head('POST', path, { 'Content-Type': 'application/json' }, false), { dribble: Buffer.from('X-Slow-Header: a\r\n'), dribbleEveryMs: 200 }) });
    }
    for (let index = 0; index < counts.bodyDribblers; index++) {
      const { door, method, path, contentType } = bodyDoors[index % bodyDoors.length]!;
      anonymousDribblers.sockets.push({ door, socket: openHostileSocket(port, dribbledBody(method, path, contentType), { dribble: Buffer.from('{"input":"'), dribbleEveryMs: 500 }) });
      keyedDribblers.sockets.push({ door, socket: openHostileSocket(port, dribbledBody(method, path, contentType, `Bearer ${attackerKey}`), { dribble: Buffer.from('{"input":"'), dribbleEveryMs: 500 }) });
    }
    // The flood arrives in ten waves over the first half of the phase; each socket sends 16 KB of its body and waits.
    const waves = 10;
    for (let wave = 0; wave < waves; wave++) {
      for (let index = wave; index < counts.flood; index += waves) {
        const { door, method, path, contentType } = bodyDoors[index % bodyDoors.length]!;
        flood.sockets.push({ door, socket: openHostileSocket(port, head(method, path, { 'Content-Type': contentType, 'Content-Length': declared }), { body: Buffer.alloc(16 * 1024, 0x20) }) });
      }
      await sleep(phaseMs / 2 / waves);
    }

    const victimResult = await victim;
    const fates = new Map<Group, { door: string; fate: SocketFate }[]>();
    for (const group of groups) {
      for (const { socket } of group.sockets) socket.release();
      fates.set(group, await Promise.all(group.sockets.map(async ({ door, socket }) => ({ door, fate: await socket.fate }))));
    }

    const victimFigures = loadLatency(victimResult);
    const fateRows = groups.map((group) => ({ sockets: group.name, count: group.sockets.length, fates: describeTally(tally(fates.get(group)!.map(({ fate }) => String(fate)))) }));
    stage.print(`victim during the flood (another project, 50 req/s for ${phaseMs / 1000} s): ${describeLatency(victimFigures)}`);
    for (const line of latencyByKind(victimResult)) stage.print(`  ${line}`);
    stage.print('how the hostile sockets were answered (a status, closed without an answer, or still open when the phase ended):');
    for (const line of formatTable(fateRows).split('\n')) stage.print(`  ${line}`);
    const floodByDoor = formatTable(bodyDoors.map(({ door }) => ({ door, fates: describeTally(tally(fates.get(flood)!.filter((entry) => entry.door === door).map(({ fate }) => String(fate)))) })));
    for (const line of floodByDoor.split('\n')) stage.print(`  ${line}`);

    const refusedAnonymously = (group: Group) => fates.get(group)!.every(({ fate }) => fate === 401 || fate === 'closed');
    const health = await fetch(`${server.baseUrl}/healthz`).then((response) => response.status, () => 0);
    return {
      figures: { victimAlone: quiet, victim: victimFigures, victimStatuses: tally(victimResult.requests.map((request) => request.status)), sockets: fateRows, healthAfter: health },
      goals: [
        checked('the victim project gets no error', victimFigures.errors === 0, `${victimFigures.errors} of ${victimFigures.requests}: ${describeTally(tally(victimResult.requests.filter((request) => !isSuccess(request.status)).map((request) => request.status)))}`),
        timed('the victim project keeps p99 < 50 ms', victimFigures.p99Ms < 50, describeLatency(victimFigures)),
        checked('every anonymous 100 MB body is refused with 401 (none read, none left open)', refusedAnonymously(flood), fateRows[0]!.fates),
        checked('every anonymous dribbled body is refused with 401', refusedAnonymously(anonymousDribblers), fateRows[2]!.fates),
        checked(
          'every slowloris header dribbler is cut off (408 or closed) before the phase ends',
          fates.get(headerDribblers)!.every(({ fate }) => fate === 408 || fate === 'closed'),
          fateRows[1]!.fates,
        ),
        checked('the server process still runs and /healthz answers 200', server.alive() && health === 200, `${server.alive() ? 'running' : 'exited'}, /healthz ${health}`),
      ],
    };
  },
};
