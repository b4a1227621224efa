/**
 * The types computed from a register map definition: register and field names, value and input types, which
 * registers and fields can be read or written. They make a misspelt name or a write to a read-only register a
 * compile error.
 * @module
 */
import type { FieldSpec, RegisterAccessKind, RegisterMapSpec } from './spec.js';

/** The `registers` object of a map definition `S`. */
export type RegistersOf<S extends RegisterMapSpec> = S['registers'];
/** The access kind a register or field definition `X` states, `'rw'` when it states none. */
export type AccessKindOf<X> = X extends { readonly access: infer A extends RegisterAccessKind } ? A : 'rw';

/** The register names of a map definition `S` (a union of string literals). */
export type RegisterName<S extends RegisterMapSpec> = keyof RegistersOf<S> & string;

/** The definition of register `R` in map definition `S`. */
export type RegisterSpecOf<S extends RegisterMapSpec, R extends RegisterName<S>> = RegistersOf<S>[R];

/** The value type of register `R`: `bigint` for 8-byte registers, else `number`. */
export type RegisterValue<S extends RegisterMapSpec, R extends RegisterName<S>> = RegisterSpecOf<S, R> extends { readonly width: 8 }
  ? bigint
  : number;

/** What a write to register `R` accepts: a `number`, or for 8-byte registers a `bigint` or a safe-integer number. */
export type RegisterInput<S extends RegisterMapSpec, R extends RegisterName<S>> = RegisterValue<S, R> extends bigint
  ? bigint | number
  : number;

/** The `fields` of register `R` (`{}` when it has none). */
export type FieldsOf<S extends RegisterMapSpec, R extends RegisterName<S>> = RegisterSpecOf<S, R> extends {
  readonly fields: infer F extends { readonly [name: string]: FieldSpec };
}
  ? F
  : {};

/** The field names of register `R` (`never` if it has none). */
export type FieldName<S extends RegisterMapSpec, R extends RegisterName<S>> = keyof FieldsOf<S, R> & string;

/** The access kind of field `F` of register `R`: its own, else its register's. */
export type FieldAccessKindOf<S extends RegisterMapSpec, R extends RegisterName<S>, F extends FieldName<S, R>> = FieldsOf<S, R>[F] extends {
  readonly access: infer A extends RegisterAccessKind;
}
  ? A
  : AccessKindOf<RegisterSpecOf<S, R>>;

/** Registers that may be read: every access kind but `wo`. */
export type ReadableRegister<S extends RegisterMapSpec> = {
  [R in RegisterName<S>]: AccessKindOf<RegisterSpecOf<S, R>> extends 'wo' ? never : R;
}[RegisterName<S>];

/** Registers that may be written: every access kind but `ro` and `rc`. */
export type WritableRegister<S extends RegisterMapSpec> = {
  [R in RegisterName<S>]: AccessKindOf<RegisterSpecOf<S, R>> extends 'ro' | 'rc' ? never : R;
}[RegisterName<S>];

/** Registers that have fields. */
export type FieldedRegister<S extends RegisterMapSpec> = {
  [R in RegisterName<S>]: [FieldName<S, R>] extends [never] ? never : R;
}[RegisterName<S>];

/** Fields of `R` that may be read (access kind not `wo`). */
export type ReadableField<S extends RegisterMapSpec, R extends RegisterName<S>> = {
  [F in FieldName<S, R>]: FieldAccessKindOf<S, R, F> extends 'wo' ? never : F;
}[FieldName<S, R>];

/** Fields of `R` that may be written (access kind not `ro`/`rc`). */
export type WritableField<S extends RegisterMapSpec, R extends RegisterName<S>> = {
  [F in FieldName<S, R>]: FieldAccessKindOf<S, R, F> extends 'ro' | 'rc' ? never : F;
}[FieldName<S, R>];

/** The enumerated value names of field `F` of register `R` (`never` if it has none). */
export type FieldValueName<S extends RegisterMapSpec, R extends RegisterName<S>, F extends FieldName<S, R>> = FieldsOf<S, R>[F] extends {
  readonly values: infer V;
}
  ? keyof V & string
  : never;

/** What a field accepts: a number (bigint or number in 8-byte registers) or one of its enumerated names. */
export type FieldInput<S extends RegisterMapSpec, R extends RegisterName<S>, F extends FieldName<S, R>> =
  | RegisterInput<S, R>
  | FieldValueName<S, R, F>;

/** Values for some of `R`'s fields, by name (for {@link RegisterMap.prep}: any field). */
export type FieldValues<S extends RegisterMapSpec, R extends RegisterName<S>> = {
  readonly [F in FieldName<S, R>]?: FieldInput<S, R, F>;
};

/** Values for some of `R`'s writable fields (for writes and updates). */
export type FieldUpdate<S extends RegisterMapSpec, R extends RegisterName<S>> = {
  readonly [F in WritableField<S, R>]?: FieldInput<S, R, F>;
};

/** Values for some of `R`'s readable fields (for field polls). */
export type FieldMatch<S extends RegisterMapSpec, R extends RegisterName<S>> = {
  readonly [F in ReadableField<S, R>]?: FieldInput<S, R, F>;
};

/** Every field of `R` with its value (from {@link RegisterMap.decode}). */
export type DecodedFields<S extends RegisterMapSpec, R extends RegisterName<S>> = {
  [F in FieldName<S, R>]: RegisterValue<S, R>;
};

/** Every readable field of `R` with its value (from {@link RegisterAccess.readFields}). */
export type ReadFields<S extends RegisterMapSpec, R extends RegisterName<S>> = {
  [F in ReadableField<S, R>]: RegisterValue<S, R>;
};
