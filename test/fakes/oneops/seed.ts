import { ci, type FakeCi, type FakeRelation } from './store.js';

// A small OneOps estate for adapter tests: an `acme` org with a `shop` assembly in prod and qa, computes
// next to other bom classes, a look-alike assembly (`shopping`) and another one (`other`) that a
// recursive query on /acme/shop must not reach, two clouds, and DeployedTo relations. Values follow the
// API's encoding: every attribute a string, hashes JSON inside the string, dates epoch ms.

export const WEB_NS = '/acme/shop/prod/bom/web/1';
export const DB_NS = '/acme/shop/prod/bom/db/1';
export const QA_NS = '/acme/shop/qa/bom/web/1';
export const CLOUDS_NS = '/acme/_clouds';

export const CREATED = 1464951332000;
export const UPDATED = 1470909778000;

export const seedCis: FakeCi[] = [
  ci({
    ciId: 101,
    ciName: 'compute-101-1',
    nsPath: WEB_NS,
    impl: 'oo::chef-11.4.0',
    createdBy: 'alice',
    attributes: {
      hostname: 'web-1',
      public_ip: '',
      private_ip: '10.1.2.3',
      ostype: 'centos-7.0',
      cores: '4',
      metadata: '{}',
      tags: '{"owner":"web","tier":"frontend"}',
      config_directives: '{"listen":[80,443],"tls":{"enabled":true}}',
      availability_zone: 'az-1',
      root_password: '::ENCRYPTED::c2VjcmV0',
    },
    altNs: { pci: ['/acme/_tags/pci'], frontend: ['/acme/_tags/frontend'] },
  }),
  ci({
    ciId: 102,
    ciName: 'compute-102-1',
    nsPath: WEB_NS,
    attributes: { hostname: 'web-2', public_ip: '203.0.113.10', private_ip: '10.1.2.4', availability_zone: 'az-2', tags: '{"owner":"web"}' },
    altNs: { frontend: ['/acme/_tags/frontend'] },
  }),
  ci({
    ciId: 103,
    ciName: 'compute-103-1',
    nsPath: WEB_NS,
    ciState: 'pending_deletion',
    attributes: { hostname: { df: 'web-3', dj: 'web-3-renamed' }, private_ip: '10.1.2.5', availability_zone: 'az-1', volumes: '["/data","/logs"]' },
  }),
  ci({ ciId: 150, ciName: 'web', ciClassName: 'bom.Fqdn', nsPath: WEB_NS, attributes: { aliases: '["www"]' } }),
  ci({
    ciId: 201,
    ciName: 'compute-201-1',
    nsPath: DB_NS,
    attributes: { hostname: 'db-1', private_ip: '10.2.0.1', availability_zone: 'az-1', tags: '["db","pci"]' },
    altNs: { pci: ['/acme/_tags/pci'] },
  }),
  ci({
    ciId: 301,
    ciName: 'web-qa-1',
    nsPath: QA_NS,
    updated: 1500000000000,
    attributes: { private_ip: 'not-an-ip', availability_zone: 'az-9', tags: 'plain text' },
  }),
  ci({ ciId: 401, ciName: 'compute-401-1', nsPath: '/acme/other/prod/bom/web/1', attributes: { private_ip: '10.9.0.1' } }),
  ci({ ciId: 501, ciName: 'compute-501-1', nsPath: '/acme/shopping/prod/bom/web/1', attributes: { private_ip: '10.9.0.2' } }),
  ci({ ciId: 901, ciName: 'dal-cloud', ciClassName: 'account.Cloud', nsPath: CLOUDS_NS, attributes: { location: '/public/oneops/providers/dal' } }),
  ci({ ciId: 902, ciName: 'ord-cloud', ciClassName: 'account.Cloud', nsPath: CLOUDS_NS, attributes: { location: '/public/oneops/providers/ord' } }),
];

const rel = (ciRelationId: number, fromCiId: number, toCiId: number, nsPath: string): FakeRelation => ({
  ciRelationId,
  relationName: 'base.DeployedTo',
  nsPath,
  fromCiId,
  toCiId,
  created: CREATED,
  updated: UPDATED,
  attributes: { priority: '1' },
});

export const seedRelations: FakeRelation[] = [rel(7001, 101, 901, WEB_NS), rel(7002, 102, 902, WEB_NS), rel(7003, 201, 901, DB_NS)];

/** `n` computes under `nsPath`, ids from `firstId`, each with a few KB of JSON-in-string attributes. */
export function manyComputes(n: number, nsPath: string, firstId = 10_000): FakeCi[] {
  return Array.from({ length: n }, (_, i) =>
    ci({
      ciId: firstId + i,
      ciName: `compute-${firstId + i}-1`,
      nsPath,
      attributes: {
        hostname: `bulk-${i}`,
        private_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        packages: JSON.stringify(Array.from({ length: 20 }, (_, j) => ({ name: `pkg-${j}`, version: `1.${j}.${i % 7}`, note: 'quote " and \\ and ] }' }))),
      },
    }),
  );
}
