// 100,000 hosts through importFleet from a generated stream: the importer never holds more than a chunk of
// rows (asserted exactly: rows pulled from the source minus rows reported done), the heap does not grow with
// the fleet (asserted loosely), and the rate is printed (measured, not asserted).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importFleet, type ImportRecord } from '../../src/import/index.js';
import { describeEachStore } from '../helpers/stores.js';
import { openImportStore, type ImportStore } from './store.js';

const HOSTS = Number(process.env.CRATON_IMPORT_SCALE_HOSTS ?? 100_000);
const CHUNK = 1000;
const REGIONS = Math.ceil(HOSTS / 25_000);
/** Rows before the first host: the cloud, and per region the region and its 40 cells. */
const CONTAINERS = 1 + REGIONS * 41;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A realistic host: hardware profile with a disk array, OS facts, labels; every 4th host is a hypervisor with 3 VMs. */
function host(i: number): ImportRecord {
  const cell = `c${Math.floor(i / 2500) % 40}`;
  const hv = i - (i % 4);
  return {
    kind: 'host', cloud: 'prod', region: `r${Math.floor(i / 25_000)}`, cell, name: `host-${i}`,
    ...(i % 4 ? { parent: `host-${hv}`, device_type: 'vm' } : { device_type: 'hypervisor' }),
    ip_address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    labels: i % 4 ? ['vm', `team-${i % 7}`] : ['compute', 'hypervisor', `rack-${i % 50}`],
    vars: {
      hardware: { vendor: 'Dell', model: 'R640', memory_gb: 384, disks: [0, 1, 2].map((slot) => ({ slot, vendor: slot ? 'Seagate' : 'Samsung', size_gb: 1920 })) },
      os: { distro: 'ubuntu', version: '22.04', kernel: '5.15.0-91' },
      rack: { name: `rack-${i % 50}`, position: i % 42 },
    },
  };
}

async function* fleet(counter: { pulled: number }): AsyncGenerator<ImportRecord> {
  yield { kind: 'cloud', name: 'prod' };
  for (let r = 0; r < REGIONS; r++) {
    yield { kind: 'region', cloud: 'prod', name: `r${r}` };
    for (let c = 0; c < 40; c++) yield { kind: 'cell', cloud: 'prod', region: `r${r}`, name: `c${c}` };
  }
  for (let i = 0; i < HOSTS; i++) {
    counter.pulled += 1;
    yield host(i);
  }
}

describeEachStore(`importing ${HOSTS.toLocaleString('en')} hosts`, (kind) => {
  let s: ImportStore;
  beforeAll(async () => {
    s = await openImportStore(kind);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('streams: holds at most a chunk of rows, keeps the heap flat, and reports its rate', async () => {
    const counter = { pulled: 0 };
    let maxInFlight = 0;
    let peakHeap = 0;
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const summary = await importFleet(s.ds, {
      projectId: s.projectId, source: fleet(counter), chunkSize: CHUNK,
      onProgress: (p) => {
        // Hosts pulled from the source but not yet reported written: what the importer holds.
        const hostsDone = Math.max(0, p.rows - CONTAINERS);
        maxInFlight = Math.max(maxInFlight, counter.pulled - hostsDone);
        if (p.rows % (20 * CHUNK) < CHUNK) {
          gc();
          peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
        }
      },
    });
    gc();
    const heapAfter = process.memoryUsage().heapUsed;
    expect(summary.rejected).toEqual([]);
    expect(summary.byKind.host.created).toBe(HOSTS);
    expect(maxInFlight).toBeLessThanOrEqual(CHUNK);
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    const rate = Math.round((HOSTS * 1000) / summary.elapsedMs);
    console.log(`[${kind}] imported ${HOSTS} hosts (+ ${summary.rows - HOSTS} clouds, regions and cells) in ${(summary.elapsedMs / 1000).toFixed(1)} s: ${rate} hosts/s; heap ${mb(heapBefore)} MiB before, peak ${mb(peakHeap)} MiB, ${mb(heapAfter)} MiB after`);
    // Holding every record would take hundreds of MiB (each host is ~1 KiB of JSON before any overhead).
    expect(peakHeap - heapBefore).toBeLessThan(96 * 2 ** 20);
    const [{ n }] = await s.ds.query('SELECT COUNT(*) AS n FROM `device_ancestors`');
    expect(Number(n)).toBe(HOSTS - HOSTS / 4);

    const again = await importFleet(s.ds, { projectId: s.projectId, source: fleet({ pulled: 0 }), chunkSize: CHUNK });
    expect(again.byKind.host.unchanged).toBe(HOSTS);
    console.log(`[${kind}] re-import of ${HOSTS} unchanged hosts: ${Math.round((HOSTS * 1000) / again.elapsedMs)} hosts/s`);
  }, 600_000);
});
