import type { ImportRecord } from '../../src/import/types.js';
import { Rng } from './prng.js';

/**
 * The benchmark fleet, a pure function of (hosts, seed): 1 project, 2 clouds, 10 regions (5 per cloud),
 * 200 cells (20 per region) and `hosts` hosts in racks of 10 consecutive ids, the racks dealt over the cells
 * in a stride (rack g goes to cell 7g mod 200), so a page of 1000 hosts by id touches 100 cells in every
 * region. In each rack the first host is a chassis and the next two are its children (20% of hosts have a
 * parent, any page of 10 or more holds some; parents have none, so the parent chain is at most one deep).
 * Each host carries 5 labels out of a vocabulary of 50. Every level carries exactly 20 variables with nested
 * JSON: hardware profiles with disk arrays (some disks are Seagate), os-information, capacity numbers, ...
 *
 * Variables that exist at several levels make resolution matter:
 *   - `hardware`: a default profile on every cell; 85% of hosts override it with their own.
 *   - `network` (`{ mtu, ... }`): project (1500), every region (4 of 10 regions: 9000), 20% of cells,
 *     5% of hosts (a chassis' override is inherited by its children).
 *   - `os-information`, `capacity`, `ntp_servers`, ...: project defaults, overridden lower down.
 */

export const CLOUDS = ['cloud-a', 'cloud-b'] as const;
export const REGIONS_PER_CLOUD = 5;
export const CELLS_PER_REGION = 20;
export const REGION_NAMES = ['ord1', 'dfw1', 'iad1', 'sjc1', 'gru1', 'lon1', 'fra1', 'syd1', 'hkg1', 'nrt1'] as const;
export const REGION_COUNT = CLOUDS.length * REGIONS_PER_CLOUD;
export const CELL_COUNT = REGION_COUNT * CELLS_PER_REGION;
/** Regions whose `network.mtu` is 9000 (the others inherit 1500 semantics through their own 1500). */
export const JUMBO_REGIONS = new Set([1, 3, 6, 8]);

export const LABELS: readonly string[] = [
  'compute', 'storage', 'network', 'gpu', 'web', 'db', 'cache', 'queue', 'batch', 'ci',
  'prod', 'staging', 'dev', 'canary', 'edge', 'core', 'ha', 'spare', 'burn-in', 'decom',
  'ssd', 'hdd', 'nvme', 'sriov', 'dpdk', 'numa2', 'numa4', 'bigmem', 'smallmem', 'arm',
  'x86', 'intel', 'amd', 'dell', 'hpe', 'lenovo', 'supermicro', 'rack-a', 'rack-b', 'rack-c',
  'team-infra', 'team-data', 'team-ml', 'team-web', 'pci', 'hipaa', 'sox', 'backup', 'monitored', 'patched',
];

const DISK_VENDORS = ['Seagate', 'Western Digital', 'Toshiba', 'Samsung', 'Micron', 'Intel', 'Kioxia', 'HGST'] as const;
const DISK_MODELS: Record<string, string[]> = {
  Seagate: ['ST4000NM0035', 'ST8000NM0055', 'ST1200MM0009', 'XS1920SE70004'],
  'Western Digital': ['WUH721414AL', 'WD4002FYYZ', 'WUS4BB019D7P3E3'],
  Toshiba: ['MG07ACA14TE', 'AL15SEB120N', 'KPM5XRUG1T92'],
  Samsung: ['MZ7LH1T9HMLT', 'MZQLB1T9HAJR', 'PM1733'],
  Micron: ['MTFDDAK1T9TDN', '7300 PRO', '5300 MAX'],
  Intel: ['SSDSC2KB019T8', 'P4510', 'D3-S4610'],
  Kioxia: ['KCD6XLUL1T92', 'CM6-V'],
  HGST: ['HUS726T4TALA6L4', 'HUH721212ALE600'],
};
const SERVER_PROFILES = [
  { vendor: 'Dell', model: 'PowerEdge R640', cpu: 'Xeon Gold 6230', sockets: 2, cores: 20 },
  { vendor: 'Dell', model: 'PowerEdge R750', cpu: 'Xeon Gold 6338', sockets: 2, cores: 32 },
  { vendor: 'HPE', model: 'ProLiant DL360 Gen10', cpu: 'Xeon Silver 4214', sockets: 2, cores: 12 },
  { vendor: 'Lenovo', model: 'ThinkSystem SR650', cpu: 'Xeon Gold 5218', sockets: 2, cores: 16 },
  { vendor: 'Supermicro', model: 'SYS-1029U', cpu: 'EPYC 7502', sockets: 1, cores: 32 },
  { vendor: 'Supermicro', model: 'AS-2124BT', cpu: 'EPYC 7763', sockets: 2, cores: 64 },
] as const;
const DISTROS = [
  { distro: 'ubuntu', version: '20.04', codename: 'focal', kernel: '5.4.0-' },
  { distro: 'ubuntu', version: '22.04', codename: 'jammy', kernel: '5.15.0-' },
  { distro: 'rhel', version: '8.8', codename: 'ootpa', kernel: '4.18.0-' },
  { distro: 'rhel', version: '9.2', codename: 'plow', kernel: '5.14.0-' },
] as const;

export function cloudName(c: number): string {
  return CLOUDS[c]!;
}
export function regionName(r: number): string {
  return REGION_NAMES[r]!;
}
export function cellName(cell: number): string {
  return `c${String((cell % CELLS_PER_REGION) + 1).padStart(2, '0')}`;
}
export function hostName(i: number): string {
  return `host-${String(i).padStart(6, '0')}`;
}

/** Where host i sits: its cell (0..199), region (0..9), cloud (0..1) and parent host index (or null). */
export function placeHost(i: number): { cell: number; region: number; cloud: number; parent: number | null; chassis: boolean } {
  const rack = Math.floor(i / 10);
  const cell = (rack * 7) % CELL_COUNT;
  const region = Math.floor(cell / CELLS_PER_REGION);
  const cloud = Math.floor(region / REGIONS_PER_CLOUD);
  const slot = i % 10;
  return { cell, region, cloud, parent: slot === 1 || slot === 2 ? i - slot : null, chassis: slot === 0 };
}

function ipOf(i: number): string {
  const n = i + 256;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

function disks(rng: Rng, count: number, seagateChance: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, slot) => {
    const vendor = rng.chance(seagateChance) ? 'Seagate' : rng.pick(DISK_VENDORS.filter((v) => v !== 'Seagate'));
    const ssd = rng.chance(0.5);
    return {
      slot,
      vendor,
      model: rng.pick(DISK_MODELS[vendor]!),
      type: ssd ? 'ssd' : 'hdd',
      size_gb: ssd ? rng.pick([480, 960, 1920, 3840]) : rng.pick([4000, 8000, 12000, 14000]),
      serial: rng.hex(12).toUpperCase(),
      smart: { reallocated: rng.int(0, 3), power_on_hours: rng.int(100, 40000) },
    };
  });
}

function hardware(rng: Rng, seagateChance: number): Record<string, unknown> {
  const p = rng.pick(SERVER_PROFILES);
  const memory = rng.pick([128, 256, 384, 512, 768, 1024]);
  return {
    profile: `${p.vendor.toLowerCase()}-${p.model.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
    vendor: p.vendor,
    model: p.model,
    cpu: { model: p.cpu, sockets: p.sockets, cores: p.cores, threads: p.cores * 2 },
    memory_gb: memory,
    disks: disks(rng, rng.int(2, 6), seagateChance),
    nics: [
      { name: 'eno1', speed_gbps: 25, driver: 'mlx5_core' },
      { name: 'eno2', speed_gbps: 25, driver: 'mlx5_core' },
    ],
    raid: { controller: rng.pick(['PERC H740P', 'Smart Array P408i', 'none']), level: rng.pick(['1', '10', 'jbod']) },
  };
}

function osInformation(rng: Rng): Record<string, unknown> {
  const d = rng.pick(DISTROS);
  return {
    distro: d.distro,
    release: { version: d.version, codename: d.codename },
    kernel: `${d.kernel}${rng.int(50, 190)}-generic`,
    installed: `20${rng.int(19, 24)}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`,
  };
}

function capacity(rng: Rng): Record<string, unknown> {
  const vcpus = rng.pick([24, 40, 48, 64, 96, 128]);
  return {
    vcpus,
    ram_mb: rng.pick([131072, 262144, 524288]),
    disk_gb: rng.pick([1920, 3840, 7680, 15360]),
    allocation_ratio: { cpu: rng.pick([1, 2, 4, 8]), ram: rng.pick([1, 1.5]), disk: 1 },
    reserved: { vcpus: 2, ram_mb: 8192 },
  };
}

function network(mtu: number, rng: Rng): Record<string, unknown> {
  return {
    mtu,
    bond: { mode: rng.pick(['802.3ad', 'active-backup']), miimon: 100 },
    vlans: { mgmt: rng.int(100, 199), storage: rng.int(200, 299), tenant: [rng.int(1000, 1999), rng.int(2000, 2999)] },
    dns: { search: ['example.net', 'infra.example.net'] },
  };
}

function servers(rng: Rng, prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, k) => `${prefix}.${rng.int(0, 255)}.${k + 1}`);
}

/** Host variables: exactly 20 keys. */
export function hostVars(seed: number, i: number, chassis: boolean): Record<string, unknown> {
  const rng = Rng.for(seed, 'host-vars', i);
  const vars: Record<string, unknown> = {
    'os-information': osInformation(rng),
    capacity: capacity(rng),
    bmc: { ip: `10.250.${(i >> 8) & 255}.${i & 255}`, vendor: rng.pick(['idrac9', 'ilo5', 'xcc']), firmware: `${rng.int(2, 6)}.${rng.int(0, 90)}.${rng.int(0, 9)}` },
    rack: { row: rng.pick(['A', 'B', 'C', 'D']), rack: rng.int(1, 40), position: rng.int(1, 42), pdu: [`pdu-${rng.int(1, 80)}a`, `pdu-${rng.int(1, 80)}b`] },
    serial: `SN${rng.hex(10).toUpperCase()}`,
    asset_tag: `AT-${rng.int(100000, 999999)}`,
    firmware: { bios: `${rng.int(1, 3)}.${rng.int(0, 20)}.${rng.int(0, 9)}`, nic: `${rng.int(14, 26)}.${rng.int(20, 40)}.${rng.int(1000, 9999)}` },
    kernel_params: ['intel_iommu=on', `hugepagesz=1G hugepages=${rng.int(8, 64)}`, 'transparent_hugepage=never'],
    monitoring: { enabled: true, exporters: ['node', 'ipmi'], scrape_interval_s: rng.pick([15, 30, 60]) },
    owner: { team: rng.pick(['infra', 'data', 'ml', 'web', 'storage']), oncall: rng.pick(['pager-a', 'pager-b']) },
    lifecycle: { state: rng.pick(['in-service', 'in-service', 'in-service', 'burn-in', 'repair']), warranty_until: `20${rng.int(25, 30)}-06-30` },
    power: { feed: rng.pick(['A', 'B']), watts: rng.int(250, 900), psu: 2 },
    ansible_user: rng.pick(['cloud-admin', 'ubuntu', 'root']),
    ssh: { port: 22, authorized_keys: [`ssh-ed25519 AAAA${rng.hex(24)} ops`] },
    sla: { tier: rng.pick(['gold', 'silver', 'bronze']), response_hours: rng.pick([1, 4, 24]) },
    numa: { nodes: rng.pick([1, 2, 4]), layout: rng.pick(['balanced', 'pinned']) },
    tags: rng.sample(['pci', 'hot', 'cold', 'gpu-ready', 'legacy', 'new'], 2),
    cost: { center: `CC-${rng.int(1000, 1999)}`, monthly_usd: rng.int(200, 2500) },
  };
  if (rng.chance(0.85)) vars.hardware = hardware(rng, 0.06);
  else vars.provisioning = { state: 'pending-inventory', requested: `2024-0${rng.int(1, 9)}-01` };
  if (rng.chance(chassis ? 0.15 : 0.05)) vars.network = network(rng.pick([1500, 9000]), rng);
  else vars.maintenance = { window: rng.pick(['sun-02', 'wed-03', 'sat-23']), drain: rng.chance(0.5) };
  return vars;
}

/** Cell variables: exactly 20 keys, including a default `hardware` profile. */
export function cellVars(seed: number, cell: number): Record<string, unknown> {
  const rng = Rng.for(seed, 'cell-vars', cell);
  const vars: Record<string, unknown> = {
    hardware: hardware(rng, 0.15),
    rack_layout: { rows: ['A', 'B', 'C', 'D'], racks_per_row: rng.int(8, 20), u_per_rack: 42 },
    pdus: { per_rack: 2, model: rng.pick(['AP8941', 'PX3-5190']), max_kw: rng.pick([11, 17, 22]) },
    spine: servers(rng, 'spine', 2),
    leaf: { pairs: rng.int(4, 12), model: rng.pick(['7050SX3', 'N9K-C93180YC']) },
    cooling: { type: rng.pick(['hot-aisle', 'cold-aisle', 'rear-door']), max_kw_per_rack: rng.int(8, 30) },
    floor: rng.int(1, 4),
    cage: `cage-${rng.int(1, 30)}`,
    oob_network: { cidr: `10.${rng.int(200, 249)}.${rng.int(0, 255)}.0/24`, gateway_last_octet: 1 },
    dhcp: { servers: servers(rng, '10.240', 2), lease_s: 86400 },
    pxe: { server: `pxe-${cell}.infra.example.net`, image: rng.pick(['jammy-2024.04', 'focal-2023.10']) },
    storage_backend: { type: rng.pick(['ceph', 'local', 'netapp']), pool: `pool-${rng.int(1, 9)}` },
    compute_defaults: { overcommit: { cpu: rng.pick([2, 4]), ram: 1 }, hugepages: rng.chance(0.5) },
    cell_capacity: { hosts_max: rng.int(400, 1200), kw: rng.int(200, 900) },
    cabling: { standard: rng.pick(['dac', 'aoc', 'fiber']), color: rng.pick(['blue', 'yellow', 'green']) },
    contacts: { facilities: `fac-${rng.int(1, 20)}@example.net`, network: 'neteng@example.net' },
    change_freeze: { active: rng.chance(0.1), until: null },
    console_server: `cons-${cell}.infra.example.net`,
    ipmi_defaults: { user: 'admin', cipher_suite: 17 },
  };
  if (rng.chance(0.2)) vars.network = network(rng.pick([1500, 9000]), rng);
  else vars.cell_notes = { text: `cell ${cell}`, audited: rng.chance(0.5) };
  return vars;
}

/** Region variables: exactly 20 keys, including `network` (mtu 9000 in JUMBO_REGIONS, else 1500). */
export function regionVars(seed: number, region: number): Record<string, unknown> {
  const rng = Rng.for(seed, 'region-vars', region);
  return {
    network: network(JUMBO_REGIONS.has(region) ? 9000 : 1500, rng),
    ntp_servers: servers(rng, '10.1', 3),
    dns_servers: servers(rng, '10.2', 2),
    syslog: { host: `syslog.${regionName(region)}.example.net`, port: 514, protocol: 'tcp' },
    datacenter: { operator: rng.pick(['Equinix', 'Digital Realty', 'own']), code: regionName(region).toUpperCase(), tier: rng.int(3, 4) },
    availability_zones: [`${regionName(region)}a`, `${regionName(region)}b`, `${regionName(region)}c`],
    mirrors: { apt: `http://apt.${regionName(region)}.example.net`, pypi: `http://pypi.${regionName(region)}.example.net` },
    proxies: { http: `http://proxy.${regionName(region)}:3128`, no_proxy: ['10.0.0.0/8', '.example.net'] },
    ldap: { uri: `ldaps://ldap.${regionName(region)}.example.net`, base_dn: 'dc=example,dc=net' },
    vault: { addr: `https://vault.${regionName(region)}.example.net:8200` },
    monitoring_endpoints: { prometheus: `https://prom.${regionName(region)}.example.net`, alertmanager: `https://am.${regionName(region)}.example.net` },
    backup: { target: `s3://backup-${regionName(region)}`, retention_days: rng.pick([14, 30, 90]) },
    timezone: rng.pick(['UTC', 'America/Chicago', 'Europe/London']),
    regulatory: { gdpr: region >= 5, data_residency: region >= 5 ? 'EU' : 'US' },
    cdn: { enabled: rng.chance(0.5), pop: regionName(region) },
    region_capacity: { cells: CELLS_PER_REGION, power_mw: rng.int(2, 20), hosts_planned: rng.int(5000, 20000) },
    edge_routers: servers(rng, 'edge', 2),
    transit: [{ asn: rng.int(1000, 65000), capacity_gbps: 100 }, { asn: rng.int(1000, 65000), capacity_gbps: 100 }],
    maintenance_policy: { window: 'sun-02', max_parallel_cells: rng.int(1, 4) },
    support: { vendor_contract: `VC-${rng.int(10000, 99999)}`, sla_hours: 4 },
  };
}

/** Cloud variables: exactly 20 keys. */
export function cloudVars(seed: number, cloud: number): Record<string, unknown> {
  const rng = Rng.for(seed, 'cloud-vars', cloud);
  const name = cloudName(cloud);
  const svc = (s: string) => ({ url: `https://${s}.${name}.example.net`, version: `${rng.int(1, 3)}.${rng.int(0, 9)}` });
  return {
    keystone: { ...svc('keystone'), domain: 'Default', region_name: name },
    endpoints: { public: `https://api.${name}.example.net`, internal: `https://api-int.${name}.example.net` },
    quotas: { instances: rng.int(100, 1000), cores: rng.int(1000, 10000), ram_mb: rng.int(1, 100) * 1048576 },
    images: { default: 'jammy-2024.04', allowed: ['jammy-2024.04', 'focal-2023.10', 'rhel-9.2'] },
    flavors: { small: { vcpus: 2, ram_mb: 4096 }, large: { vcpus: 16, ram_mb: 65536 } },
    scheduler: { filters: ['AvailabilityZoneFilter', 'ComputeFilter', 'NUMATopologyFilter'], weight: rng.pick(['spread', 'pack']) },
    neutron: svc('neutron'),
    cinder: svc('cinder'),
    glance: svc('glance'),
    nova: { ...svc('nova'), microversion: '2.60' },
    placement: svc('placement'),
    barbican: svc('barbican'),
    octavia: svc('octavia'),
    designate: svc('designate'),
    telemetry: { enabled: rng.chance(0.5), retention_days: 30 },
    billing: { account: `BA-${rng.int(1000, 9999)}`, currency: 'USD' },
    cloud_admins: ['alice', 'bob', 'carol'],
    release: rng.pick(['yoga', 'zed', '2023.1', '2024.1']),
    features: { live_migration: true, sriov: rng.chance(0.5), gpu: rng.chance(0.3) },
    tls: { ca: `${name}-ca`, min_version: 'TLSv1.2' },
  };
}

/** Project variables: exactly 20 keys, the defaults everything inherits. */
export function projectVars(seed: number): Record<string, unknown> {
  const rng = Rng.for(seed, 'project-vars');
  return {
    network: network(1500, rng),
    'os-information': { distro: 'ubuntu', release: { version: '20.04', codename: 'focal' }, kernel: '5.4.0-150-generic' },
    capacity: { vcpus: 48, ram_mb: 262144, disk_gb: 3840, allocation_ratio: { cpu: 4, ram: 1, disk: 1 } },
    ntp_servers: ['ntp1.example.net', 'ntp2.example.net'],
    dns_servers: ['10.0.0.53', '10.0.1.53'],
    monitoring: { enabled: true, exporters: ['node'], scrape_interval_s: 60 },
    owner: { team: 'infra', oncall: 'pager-a' },
    sla: { tier: 'silver', response_hours: 4 },
    ssh: { port: 22, authorized_keys: [] },
    ansible_user: 'cloud-admin',
    syslog: { host: 'syslog.example.net', port: 514, protocol: 'udp' },
    timezone: 'UTC',
    security: { selinux: 'enforcing', auditd: true, cis_level: 1 },
    compliance: { frameworks: ['soc2'], last_audit: '2024-03-01' },
    backup: { target: 's3://backup-global', retention_days: 30 },
    logging: { level: 'info', shipper: 'vector' },
    alerting: { routes: ['pager', 'slack'], silence_maintenance: true },
    tags: ['managed'],
    cost: { center: 'CC-1000', monthly_usd: 0 },
    support: { vendor_contract: 'VC-00000', sla_hours: 8 },
  };
}

/** The labels of host i: 5 distinct out of 50. */
export function hostLabels(seed: number, i: number): string[] {
  return Rng.for(seed, 'labels', i).sample(LABELS, 5);
}

/** Every container record (clouds, regions, cells), with their variables, in dependency order. */
export function* containerRecords(seed: number): Generator<ImportRecord> {
  for (let c = 0; c < CLOUDS.length; c++) yield { kind: 'cloud', name: cloudName(c), vars: cloudVars(seed, c) };
  for (let r = 0; r < REGION_COUNT; r++) {
    yield { kind: 'region', cloud: cloudName(Math.floor(r / REGIONS_PER_CLOUD)), name: regionName(r), vars: regionVars(seed, r) };
  }
  for (let cell = 0; cell < CELL_COUNT; cell++) {
    const r = Math.floor(cell / CELLS_PER_REGION);
    yield { kind: 'cell', cloud: cloudName(Math.floor(r / REGIONS_PER_CLOUD)), region: regionName(r), name: cellName(cell), vars: cellVars(seed, cell) };
  }
}

/** The import record of host i. */
export function hostRecord(seed: number, i: number): ImportRecord {
  const p = placeHost(i);
  return {
    kind: 'host',
    cloud: cloudName(p.cloud),
    region: regionName(p.region),
    cell: cellName(p.cell),
    name: hostName(i),
    ...(p.parent !== null ? { parent: hostName(p.parent) } : {}),
    ip_address: ipOf(i),
    device_type: p.chassis ? 'chassis' : 'server',
    labels: hostLabels(seed, i),
    vars: hostVars(seed, i, p.chassis),
  };
}

/** The whole fleet as import records: containers first, then hosts 0..n-1 (parents before children). */
export function* fleetRecords(opts: { hosts: number; seed: number }): Generator<ImportRecord> {
  yield* containerRecords(opts.seed);
  for (let i = 0; i < opts.hosts; i++) yield hostRecord(opts.seed, i);
}
