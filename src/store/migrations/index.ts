import { Init1763700000000 } from './1763700000000-Init.js';

/** Every migration, oldest first. Add new ones at the end; never edit one that has shipped. */
export const migrations = [Init1763700000000];
