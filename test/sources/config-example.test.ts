// The sources-file example the README shows, parsed by both kinds: if this breaks, so does the README.
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { AnsibleInventorySource } from '../../sources/ansible/index.js';
import { OneOpsSource } from '../../sources/oneops/index.js';
import { testDeps } from './helpers.js';

const EXAMPLE = `
sources:
  - name: oneops-prod
    kind: oneops
    project: default            # project, timeoutMs, cacheTtlMs, precedence: the gateway's
    timeoutMs: 5000             # also the default of connection.timeoutMs
    cacheTtlMs: 30000
    connection:
      url: http://cms.example.com:8080/adapter/rest
      nsPath: /acme/shop        # the CIs of this namespace...
      recursive: true           # ...and of those below it (default)
      classes: [bom.Compute]    # default
      scope: /acme              # sent as X-Cms-Scope (optional)
      timeoutMs: 4000           # per HTTP request (default: the entry's timeoutMs, else 10000)
      snapshotTtlMs: 10000      # one full fetch serves the pages of a listing this long (default; 0: off)
    credentials:                # optional: HTTP Basic, from the environment
      usernameEnv: ONEOPS_USER
      passwordEnv: ONEOPS_PASSWORD
    mapping:
      nameAttribute: hostname   # default: the ciName
      ipAttributes: [public_ip, private_ip]
      labelsFromAltNs: true
      labelsAttribute: tags
    placement:                  # each level: a name, or where to find one
      cloud: oneops
      region: { fromNsPathSegment: 3, map: { prod: us-east, qa: us-test } }   # /org(1)/assembly(2)/env(3)
      cell: { fromAttribute: availability_zone }
    relations:                  # optional: far-side ciNames as an attribute
      - { relationName: base.DeployedTo, direction: from, attribute: deployedTo }

  - name: lab-ansible
    kind: ansible
    project: default
    connection:
      path: /etc/ansible/inventory   # an INI or YAML file, or a directory of them
      watch: true                    # re-read on change (default)
    mapping: { deviceType: server }
    placement:
      cloud: lab
      region: { fromGroupPattern: '^region_(.+)$' }
      cell: { fromHostVar: cell }
`;

describe('the README sources example', () => {
  it('builds one source of each kind', () => {
    const { sources } = load(EXAMPLE) as { sources: unknown[] };
    const deps = testDeps({ env: { ONEOPS_USER: 'craton', ONEOPS_PASSWORD: 'secret' } });
    const oneops = OneOpsSource.fromConfig(sources[0], deps, 'sources[0]');
    const ansible = AnsibleInventorySource.fromConfig(sources[1], deps, 'sources[1]');
    expect([oneops.name, oneops.kind, ansible.name, ansible.kind]).toEqual(['oneops-prod', 'oneops', 'lab-ansible', 'ansible']);
    expect(oneops.config.placement.region).toEqual({ fromNsPathSegment: 3, map: { prod: 'us-east', qa: 'us-test' } });
    expect(ansible.config.connection).toEqual({ path: '/etc/ansible/inventory', watch: true });
  });

  it('refuses an entry of the other kind, naming the field', () => {
    const { sources } = load(EXAMPLE) as { sources: unknown[] };
    expect(() => OneOpsSource.fromConfig(sources[1], testDeps(), 'sources[1]')).toThrow("sources[1].kind: must be 'oneops'");
  });
});
