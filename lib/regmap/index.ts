/**
 * Register maps: {@link defineRegisterMap} (typed accessors, field helpers) and the edu's map {@link EDU_REGMAP}.
 * The simulated device of a map's layout, createRegisterModel, is in lib/sim/.
 * @module
 */
export {
  defineRegisterMap,
  RegisterMap,
  RegisterAccess,
  REGISTER_ACCESS_KINDS,
  type RegisterAccessKind,
  type FieldSpec,
  type RegisterSpec,
  type RegisterMapSpec,
  type RegisterName,
  type RegistersOf,
  type RegisterSpecOf,
  type FieldsOf,
  type AccessKindOf,
  type FieldAccessKindOf,
  type RegisterValue,
  type RegisterInput,
  type FieldName,
  type FieldValueName,
  type FieldInput,
  type FieldValues,
  type FieldUpdate,
  type FieldMatch,
  type DecodedFields,
  type ReadFields,
  type ReadableRegister,
  type WritableRegister,
  type FieldedRegister,
  type ReadableField,
  type WritableField,
  type FieldInfo,
  type RegisterInfo,
  type UpdateOptions,
} from './map.js';
export { EDU_REGMAP, type EduRegmapSpec } from './edu.js';
