import { OrmError } from "../errors.js";

/** A migration cannot be made, loaded or applied: the message says which and why. */
export class MigrationError extends OrmError {}
