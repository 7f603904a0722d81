import { Init1763700000000 } from './1763700000000-Init.js';
import { Workflows1763800000000 } from './1763800000000-Workflows.js';
import { Changes1763750000000 } from './1763750000000-Changes.js';
import { Overlays1763760000000 } from './1763760000000-Overlays.js';

/** Every migration, oldest first. Add new ones at the end; never edit one that has shipped. */
export const migrations = [Init1763700000000, Changes1763750000000, Overlays1763760000000, Workflows1763800000000];
