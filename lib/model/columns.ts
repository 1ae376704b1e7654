import {
  BigIntegerField,
  BooleanField,
  DateField,
  DateTimeField,
  DecimalField,
  emailField,
  EnumField,
  FloatField,
  ipAddressField,
  IntegerField,
  JSONField,
  StringField,
  TextField,
  TimeField,
  urlField,
  UUIDField,
  type DateTimeOptions,
  type DecimalOptions,
  type Field,
  type FieldOptions,
  type JsonValue,
  type NumberOptions,
  type StringOptions,
} from "./fields.js";
import { checkedFieldOptions as checked, COMMON_FIELD_OPTIONS } from "./options.js";

const NUMBER = [...COMMON_FIELD_OPTIONS, "minimum", "maximum"];
const STRING = [...COMMON_FIELD_OPTIONS, "maxLength"];
const COMMON = COMMON_FIELD_OPTIONS;

// The public field constructors. Each returns its field class, typed by the options it was given:
// `allowNull: true` adds null to the value, a default (or an auto key) makes it optional in create().

type IsTrue<V> = V extends true ? true : false;
type Optional<O, AutoKey extends boolean> = O extends { allowNull: true } | { default: unknown } | { autoNow: true } | { autoNowAdd: true }
  ? true
  : AutoKey extends true
    ? IsTrue<O extends { primaryKey: true } ? true : false>
    : false;
export type Typed<Base, T, O, AutoKey extends boolean = false> = Base &
  Field<T, IsTrue<O extends { allowNull: true } ? true : false>, Optional<O, AutoKey>, IsTrue<O extends { primaryKey: true } ? true : false>>;

/** autoNow and autoNowAdd together are refused: the type says why where the call is written. */
type OneAutoNow<O> = O extends { autoNow: true; autoNowAdd: true } ? { autoNowAdd: "autoNow and autoNowAdd exclude each other: autoNow alone also sets the time on insert" } : unknown;

export function Integer<const O extends NumberOptions<number> = {}>(options?: O & NumberOptions<number>): Typed<IntegerField, number, O, true> {
  return new IntegerField(checked("Integer", options, NUMBER)) as Typed<IntegerField, number, O, true>;
}

export function BigInteger<const O extends NumberOptions<bigint> = {}>(options?: O & NumberOptions<bigint>): Typed<BigIntegerField, bigint, O, true> {
  return new BigIntegerField(checked("BigInteger", options, NUMBER)) as Typed<BigIntegerField, bigint, O, true>;
}

export function Float<const O extends NumberOptions<number> = {}>(options?: O & NumberOptions<number>): Typed<FloatField, number, O> {
  return new FloatField(checked("Float", options, NUMBER)) as Typed<FloatField, number, O>;
}

export function Decimal<const O extends DecimalOptions>(options: O & DecimalOptions): Typed<DecimalField, string, O> {
  if (!Number.isInteger(options?.maxDigits) || !Number.isInteger(options?.decimalPlaces) || options.decimalPlaces > options.maxDigits) {
    throw new TypeError("Decimal() needs whole numbers { maxDigits, decimalPlaces } with decimalPlaces <= maxDigits");
  }
  return new DecimalField(checked("Decimal", options, [...COMMON, "maxDigits", "decimalPlaces"])) as Typed<DecimalField, string, O>;
}

export function Boolean<const O extends FieldOptions<boolean> = {}>(options?: O & FieldOptions<boolean>): Typed<BooleanField, boolean, O> {
  return new BooleanField(checked("Boolean", options, COMMON)) as Typed<BooleanField, boolean, O>;
}

export function String<const O extends StringOptions = {}>(options?: O & StringOptions): Typed<StringField, string, O> {
  return new StringField(checked("String", options, STRING)) as Typed<StringField, string, O>;
}

export function Text<const O extends StringOptions = {}>(options?: O & StringOptions): Typed<TextField, string, O> {
  return new TextField(checked("Text", options, STRING)) as Typed<TextField, string, O>;
}

export function Email<const O extends StringOptions = {}>(options?: O & StringOptions): Typed<StringField, string, O> {
  return emailField(checked("Email", options, STRING)) as Typed<StringField, string, O>;
}

export function URL<const O extends StringOptions = {}>(options?: O & StringOptions): Typed<StringField, string, O> {
  return urlField(checked("URL", options, STRING)) as Typed<StringField, string, O>;
}

export function IPAddress<const O extends StringOptions = {}>(options?: O & StringOptions): Typed<StringField, string, O> {
  return ipAddressField(checked("IPAddress", options, STRING)) as Typed<StringField, string, O>;
}

export function Enum<const V extends string, const O extends FieldOptions<V> = {}>(
  choices: readonly V[],
  options?: O & FieldOptions<V>,
): Typed<EnumField<V>, V, O> {
  return new EnumField<V>(choices, checked("Enum", options, COMMON)) as Typed<EnumField<V>, V, O>;
}

export function UUID<const O extends FieldOptions<string> = {}>(options?: O & FieldOptions<string>): Typed<UUIDField, string, O, true> {
  return new UUIDField(checked("UUID", options, COMMON)) as Typed<UUIDField, string, O, true>;
}

export function Date<const O extends FieldOptions<string> = {}>(options?: O & FieldOptions<string>): Typed<DateField, string, O> {
  return new DateField(checked("Date", options, COMMON)) as Typed<DateField, string, O>;
}

export function Time<const O extends FieldOptions<string> = {}>(options?: O & FieldOptions<string>): Typed<TimeField, string, O> {
  return new TimeField(checked("Time", options, COMMON)) as Typed<TimeField, string, O>;
}

export function DateTime<const O extends DateTimeOptions = {}>(options?: O & DateTimeOptions & OneAutoNow<O>): Typed<DateTimeField, globalThis.Date, O> {
  if (options?.autoNow && options.autoNowAdd) {
    throw new TypeError("orm.DateTime(): autoNow (set on every save) and autoNowAdd (set on insert) exclude each other; autoNow alone also sets it on insert");
  }
  return new DateTimeField(checked("DateTime", options, [...COMMON, "autoNow", "autoNowAdd"])) as Typed<DateTimeField, globalThis.Date, O>;
}

export function JSON<const O extends FieldOptions<JsonValue> = {}>(options?: O & FieldOptions<JsonValue>): Typed<JSONField, JsonValue, O> {
  return new JSONField(checked("JSON", options, COMMON)) as Typed<JSONField, JsonValue, O>;
}
