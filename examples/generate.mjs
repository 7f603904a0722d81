#!/usr/bin/env node
// Generates a realistic example fleet for `craton import`, deterministically (same arguments, same bytes).
//
//   node examples/generate.mjs > examples/fleet.yaml                      # the committed example (~400 hosts)
//   node examples/generate.mjs --format csv > /tmp/fleet.csv              # the same fleet as CSV (or json)
//   node examples/generate.mjs --cells 1000 --format json > /tmp/big.json # ~32,000 hosts, for load tests
//
// Shape: one cloud `prod`, regions ord, dfw and iad (3 by default), 4 cells per region, and per cell a
// top-of-rack switch, a storage node and 8 hypervisors carrying 2–4 VMs or containers each (parent/child
// devices). Variables are nested the way operators keep them: a hardware profile per hypervisor (CPU, memory,
// a disk array with vendors, NICs), OS facts, rack placement; region and cell variables that hosts inherit.
// Options: --regions N (≤ 26), --cells N (per region), --hypervisors N (per cell), --format yaml|json|csv, --seed N.
import { dump } from 'js-yaml';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
const REGIONS = Math.min(26, Number(args.regions ?? 3));
const CELLS = Number(args.cells ?? 4);
const HYPERVISORS = Number(args.hypervisors ?? 8);
const FORMAT = args.format ?? 'yaml';
let seed = Number(args.seed ?? 20170329);

/** mulberry32: a tiny deterministic PRNG. */
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];
const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));

const SITES = [
  ['ord', 'Chicago', 'America/Chicago', 'Equinix CH1'], ['dfw', 'Dallas', 'America/Chicago', 'Digital Realty DFW10'],
  ['iad', 'Ashburn', 'America/New_York', 'Equinix DC11'], ['sjc', 'San Jose', 'America/Los_Angeles', 'CoreSite SV1'],
  ['ams', 'Amsterdam', 'Europe/Amsterdam', 'Equinix AM3'], ['fra', 'Frankfurt', 'Europe/Berlin', 'Interxion FRA6'],
];
const site = (i) => SITES[i] ?? [`r${String.fromCharCode(97 + i)}`, `Region ${i + 1}`, 'UTC', `Site ${i + 1}`];

const DISKS = {
  ssd: [['Samsung', 'PM893', 960], ['Intel', 'D3-S4610', 1920], ['Micron', '5300 PRO', 3840], ['Seagate', 'Nytro 1551', 1920]],
  hdd: [['Seagate', 'Exos X18', 18000], ['Western Digital', 'Ultrastar DC HC550', 16000], ['Toshiba', 'MG09', 18000]],
};
const PROFILES = [
  { vendor: 'Dell', model: 'PowerEdge R640', sockets: 2, cores: 20, cpu: 'Intel Xeon Gold 6230', memory_gb: 384, bays: 8 },
  { vendor: 'HPE', model: 'ProLiant DL380 Gen10', sockets: 2, cores: 24, cpu: 'Intel Xeon Gold 6248R', memory_gb: 512, bays: 12 },
  { vendor: 'Supermicro', model: 'SYS-2029U', sockets: 2, cores: 28, cpu: 'Intel Xeon Platinum 8280', memory_gb: 768, bays: 10 },
];
const ROLES = ['web', 'api', 'db', 'cache', 'queue', 'batch'];

function hardware(profile, kind) {
  const disks = [];
  const n = kind === 'storage' ? profile.bays : int(2, 4);
  for (let slot = 0; slot < n; slot++) {
    const type = kind === 'storage' && slot > 1 ? 'hdd' : 'ssd';
    const [vendor, model, size] = pick(DISKS[type]);
    disks.push({ slot, vendor, model, size_gb: size, type });
  }
  return {
    vendor: profile.vendor, model: profile.model,
    cpu: { model: profile.cpu, sockets: profile.sockets, cores_per_socket: profile.cores },
    memory_gb: profile.memory_gb,
    disks,
    nics: [{ name: 'eno1', speed_gbps: 25 }, { name: 'eno2', speed_gbps: 25 }],
    serial: `${profile.vendor.slice(0, 2).toUpperCase()}${int(100000, 999999)}`,
  };
}

function* fleet() {
  yield { kind: 'cloud', name: 'prod', note: 'Production cloud', vars: { owner: 'cloud-ops', dns: { domain: 'prod.example.net', servers: ['10.255.0.53', '10.255.1.53'] }, os: { distro: 'ubuntu', version: '22.04' } } };
  for (let r = 0; r < REGIONS; r++) {
    const [region, city, tz, dc] = site(r);
    yield { kind: 'region', cloud: 'prod', name: region, note: `${city} (${dc})`, vars: { timezone: tz, datacenter: { site: dc, city }, ntp_servers: [`10.${r + 1}.0.123`, `10.${r + 1}.1.123`] } };
    for (let c = 1; c <= CELLS; c++) {
      yield { kind: 'cell', cloud: 'prod', region, name: `${region}-c${c}`, vars: { rack_row: String.fromCharCode(64 + c), power_feeds: ['A', 'B'], compute: { cpu_allocation_ratio: pick([4, 8, 16]), ram_allocation_ratio: 1.5 } } };
    }
  }
  for (let r = 0; r < REGIONS; r++) {
    const [region] = site(r);
    for (let c = 1; c <= CELLS; c++) {
      const cell = `${region}-c${c}`;
      const net = `10.${r + 1}.${(c * 16) % 256}`;
      const rack = `${region}-r${String(c).padStart(2, '0')}`;
      yield { kind: 'network_device', cloud: 'prod', region, cell, name: `${cell}-tor1`, ip_address: `${net}.1`, device_type: 'switch', model_name: 'QFX5120-48Y', os_version: 'Junos 21.4R3', vlans: [100, 200, 300], labels: ['tor', `rack-${rack}`], vars: { rack: { name: rack, position: 42 } } };
      const storageProfile = PROFILES[2];
      yield { kind: 'host', cloud: 'prod', region, cell, name: `${cell}-stor1`, ip_address: `${net}.5`, device_type: 'storage', labels: ['storage', 'ceph-osd', `rack-${rack}`], vars: { hardware: hardware(storageProfile, 'storage'), rack: { name: rack, position: 38 }, ceph: { cluster: `${region}-ceph`, osd_count: storageProfile.bays - 2 } } };
      for (let h = 1; h <= HYPERVISORS; h++) {
        const profile = pick(PROFILES);
        const hv = `${cell}-hv${String(h).padStart(2, '0')}`;
        const maintenance = random() < 0.04;
        const labels = ['compute', 'hypervisor', `rack-${rack}`, ...(random() < 0.15 ? ['gpu'] : [])];
        yield {
          kind: 'host', cloud: 'prod', region, cell, name: hv, ip_address: `${net}.${10 + h}`, device_type: 'hypervisor', active: !maintenance,
          ...(maintenance ? { note: 'In maintenance: failed DIMM, ticket pending' } : {}),
          labels,
          vars: {
            hardware: hardware(profile, 'compute'),
            os: { kernel: pick(['5.15.0-91-generic', '5.15.0-97-generic', '6.5.0-25-generic']) },
            rack: { name: rack, position: 2 * h },
            nova: { compute_service: true, aggregate: labels.includes('gpu') ? 'gpu' : 'general' },
          },
        };
        const children = int(2, 4);
        for (let k = 1; k <= children; k++) {
          const container = random() < 0.3;
          const role = pick(ROLES);
          yield {
            kind: 'host', cloud: 'prod', region, cell, name: `${hv}-${container ? 'ct' : 'vm'}${k}`, parent: hv,
            ip_address: `10.${100 + r}.${(c * HYPERVISORS + h) % 256}.${10 + k}`, device_type: container ? 'container' : 'vm',
            labels: [container ? 'container' : 'vm', role],
            vars: {
              app: { role, tier: pick(['frontend', 'backend', 'data']), team: pick(['payments', 'search', 'identity', 'platform']) },
              resources: { vcpus: pick([2, 4, 8, 16]), memory_gb: pick([4, 8, 16, 32, 64]) },
              ...(container ? { os: { distro: 'alpine', version: '3.19' } } : {}),
            },
          };
        }
      }
    }
  }
}

const FIELDS = ['kind', 'cloud', 'region', 'cell', 'name', 'parent', 'parent_region', 'ip_address', 'device_type', 'active', 'note', 'labels', 'model_name', 'os_version', 'vlans', 'vars'];
const csvCell = (v) => {
  const t = v === undefined || v === null ? '' : Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.join(';') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
};

const out = process.stdout;
const write = (text) => (out.write(text) ? undefined : new Promise((r) => out.once('drain', r)));
if (FORMAT === 'yaml') await write(`# A generated example fleet (examples/generate.mjs${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}); see examples/README.md.\n# Import it with: craton import examples/fleet.yaml\n`);
if (FORMAT === 'json') await write('[');
if (FORMAT === 'csv') await write(`${FIELDS.join(',')}\n`);
let first = true;
for (const rec of fleet()) {
  if (FORMAT === 'yaml') await write(dump([rec], { lineWidth: -1, flowLevel: 3 }));
  else if (FORMAT === 'json') await write(`${first ? '\n' : ',\n'}${JSON.stringify(rec)}`);
  else await write(`${FIELDS.map((f) => csvCell(rec[f])).join(',')}\n`);
  first = false;
}
if (FORMAT === 'json') await write('\n]\n');
