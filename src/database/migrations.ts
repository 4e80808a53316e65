import { InitialSchema1763900000000 } from '../../migrations/1763900000000-InitialSchema';

/** Every migration, oldest first. Listed explicitly so the built app needs no glob. */
export const MIGRATIONS = [InitialSchema1763900000000];
